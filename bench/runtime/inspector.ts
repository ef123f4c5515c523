/**
 * A minimal Chrome DevTools Protocol client for a Worker's V8 inspector (Miniflare's inspector
 * proxy): CPU profiles and allocation sampling of the isolate while it serves load.
 */
import WebSocket from "ws";

export interface Inspector {
  send<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  close(): void;
}

/** Connects to the inspector of Worker `name` behind Miniflare's inspector proxy on `port`. */
export async function connectInspector(port: number, name: string): Promise<Inspector> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/${name}`);
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
    };
    if (message.id === undefined) return;
    const entry = waiting.get(message.id);
    if (!entry) return;
    waiting.delete(message.id);
    if (message.error) entry.reject(new Error(message.error.message));
    else entry.resolve(message.result);
  });
  return {
    send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
      const id = nextId++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      });
    },
    close() {
      socket.close();
    },
  };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  /** µs between consecutive samples (the first from `startTime`). */
  timeDeltas?: number[];
}

export interface FrameShare {
  frame: string;
  /** Share of all samples (idle included) whose top frame this is. */
  share: number;
  /** Share of the samples in which the isolate was busy ("(idle)" excluded). */
  busyShare: number;
}

/** Self time by frame (function name and location), largest first. */
export function selfTimeByFrame(
  profile: CpuProfile,
  locate: (url: string, line: number) => string,
): FrameShare[] {
  const byFrame = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    total += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)") idle += hits;
    const name = functionName || "(anonymous)";
    const frame = url ? `${name} (${locate(url, lineNumber)})` : name;
    byFrame.set(frame, (byFrame.get(frame) ?? 0) + hits);
  }
  const busy = Math.max(1, total - idle);
  return [...byFrame.entries()]
    .map(([frame, hits]) => ({ frame, share: hits / Math.max(1, total), busyShare: hits / busy }))
    .sort((a, b) => b.share - a.share);
}

interface SamplingNode {
  selfSize: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children: SamplingNode[];
}

/** Bytes of all sampled allocations (collected ones included, when sampling asked for them). */
export function sampledBytes(head: SamplingNode): number {
  let sum = head.selfSize;
  for (const child of head.children) sum += sampledBytes(child);
  return sum;
}

/** Sampled bytes by allocating frame, largest first. */
export function bytesByFrame(
  head: SamplingNode,
  locate: (url: string, line: number) => string,
): { frame: string; bytes: number }[] {
  const byFrame = new Map<string, number>();
  const walk = (node: SamplingNode) => {
    if (node.selfSize > 0) {
      const { functionName, url, lineNumber } = node.callFrame;
      const name = functionName || "(anonymous)";
      const frame = url ? `${name} (${locate(url, lineNumber)})` : name;
      byFrame.set(frame, (byFrame.get(frame) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child);
  };
  walk(head);
  return [...byFrame.entries()].map(([frame, bytes]) => ({ frame, bytes })).sort((a, b) => b.bytes - a.bytes);
}
