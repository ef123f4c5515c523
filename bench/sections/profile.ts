/**
 * Section "profile": where the load balancer's CPU time and memory go per proxied request, in the
 * CPU-only harness (bench/runtime/cpu-harness.ts): the CPU time of the workerd process per request
 * (load balancer vs the bare pass-through Worker, ABBA), a V8 CPU profile of the load balancer's
 * isolate (top self-time frames), and the bytes allocated per request from V8's sampling heap
 * profiler (collected objects included). CPU time and profile shares are robust to a busy machine
 * in a way that wall-clock throughput is not.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { onCleanup } from "../lib/cleanup.ts";
import type { SectionResult, Table } from "../lib/report.ts";
import { fmt, ratio } from "../lib/stats.ts";
import { startCpuHarness } from "../runtime/cpu-harness.ts";
import {
  bytesByFrame,
  type CpuProfile,
  connectInspector,
  type Inspector,
  sampledBytes,
  selfTimeByFrame,
} from "../runtime/inspector.ts";
import { cpuMs, workerdPid } from "../runtime/process-cpu.ts";

export interface ProfileOptions {
  quick: boolean;
  /** Requests in flight at once (the driver's lanes). */
  connections: number;
}

const TOP_FRAMES = 15;
/** Requests per measured segment (a few seconds each on a shared 2-core machine). */
const REQUESTS_PER_SEGMENT = 4000;
/** Sampling intervals: CPU profile in µs, heap sampling in bytes. */
const CPU_SAMPLING_US = 100;
const HEAP_SAMPLING_BYTES = 4096;

type Target = "passthrough" | "edge-lb";

/** Runs the section. */
export async function runProfile(options: ProfileOptions): Promise<SectionResult> {
  const notes: string[] = [];
  const inspectorPort = await freePort();
  const harness = await startCpuHarness({ inspectorPort });
  const pid = workerdPid();
  if (pid === null) throw new Error("the workerd process was not found in /proc");
  const count = options.quick ? 500 : REQUESTS_PER_SEGMENT;
  const lanes = options.connections;
  const labels = { passthrough: "pass-through Worker", "edge-lb": "Edge LB (round_robin)" } as const;
  const drive = async (target: Target, n: number) => {
    const answer = await harness.drive(target, n, lanes);
    if (answer.failed > 0)
      notes.push(`${labels[target]}: ${answer.failed} of ${n} requests not answered 200.`);
    return answer;
  };
  await drive("passthrough", count);
  await drive("edge-lb", count);

  // CPU time of the workerd process per request, ABBA segments.
  const segments = new Map<Target, number[]>();
  for (const target of ["passthrough", "edge-lb", "edge-lb", "passthrough"] as const) {
    const before = cpuMs(pid);
    await drive(target, count);
    const usPerRequest = ((cpuMs(pid) - before) * 1000) / count;
    segments.set(target, [...(segments.get(target) ?? []), usPerRequest]);
  }
  const mean = (target: Target) => {
    const values = segments.get(target) ?? [];
    return values.reduce((a, b) => a + b, 0) / values.length;
  };

  const locate = bundleLocator(harness.bundlePath);
  const lbInspector = await connectInspector(inspectorPort, "edge-lb");
  const passInspector = await connectInspector(inspectorPort, "passthrough");
  onCleanup("inspectors", async () => {
    lbInspector.close();
    passInspector.close();
  });
  const profile = await cpuProfile(lbInspector, () => drive("edge-lb", count));
  const frames = selfTimeByFrame(profile, locate);
  const lbHeap = await heapSample(lbInspector, locate, () => drive("edge-lb", count));
  const passHeap = await heapSample(passInspector, locate, () => drive("passthrough", count));
  lbInspector.close();
  passInspector.close();
  await harness.stop();

  const lbUs = mean("edge-lb");
  const passUs = mean("passthrough");
  const tables: Table[] = [
    {
      caption: `CPU time of the workerd process per request (${count} requests per segment, ${lanes} at a time, ABBA)`,
      columns: ["target", "CPU µs per request", "segments (µs)"],
      rows: (["passthrough", "edge-lb"] as const).map((t) => [
        labels[t],
        fmt(mean(t)),
        (segments.get(t) ?? []).map((v) => fmt(v)).join(", "),
      ]),
    },
    {
      caption: "ratio, same run",
      columns: ["pair", "CPU per request", "target ≤ 1.5×"],
      rows: [["Edge LB / pass-through", ratio(lbUs, passUs), lbUs / passUs <= 1.5 ? "met" : "missed"]],
    },
    {
      caption: `Edge LB isolate, top ${TOP_FRAMES} frames by self time (V8 CPU profile over ${count} requests)`,
      columns: ["frame (function, bundle module)", "share of samples", "share of busy samples"],
      rows: frames
        .slice(0, TOP_FRAMES)
        .map((f) => [f.frame, `${(f.share * 100).toFixed(1)} %`, `${(f.busyShare * 100).toFixed(1)} %`]),
    },
    {
      caption: `bytes allocated per request (V8 sampling heap profiler, every ~${HEAP_SAMPLING_BYTES} B, collected objects included, ${count} requests)`,
      columns: ["target", "bytes per request"],
      rows: [
        [labels.passthrough, fmt(passHeap.bytes / count)],
        [labels["edge-lb"], fmt(lbHeap.bytes / count)],
      ],
    },
    {
      caption: "Edge LB: top allocating frames",
      columns: ["frame (function, bundle module)", "bytes per request"],
      rows: lbHeap.frames.slice(0, 10).map((f) => [f.frame, fmt(f.bytes / count)]),
    },
  ];
  return {
    id: "profile",
    title: "5. Hot-path profile",
    method: [
      "The CPU-only harness (bench/runtime/cpu-harness.ts): the bundled load balancer (configuration of " +
        "section 2: one `round_robin` pool of three origins, health checks every second) and the bare " +
        "pass-through Worker in one workerd process, driven by a third Worker through service bindings, " +
        "every outbound fetch answered by a stub origin Worker in the same process. No socket is in the " +
        "path, so the figures do not depend on the kernel or on a load generator sharing the cores.",
      "*CPU per request*: user + system CPU time of the workerd process (from /proc) over the requests " +
        "of a segment, in ABBA segments; it counts all workerd spends per request (the Worker, the " +
        "driver, the stub origin, the runtime's plumbing), so the pass-through figure is the floor. " +
        `*Profile*: a V8 CPU profile (sampling every ${CPU_SAMPLING_US} µs) of the load balancer's isolate ` +
        "through its inspector; frames are named by function and by the source module esbuild notes in " +
        'the bundle; "(program)" is native time outside JavaScript, "(idle)" the isolate waiting. ' +
        "*Allocation*: V8's sampling heap profiler with objects collected by minor and major GCs " +
        "included, so the sum estimates every byte allocated on the JavaScript heap per request.",
    ],
    tables,
    notes,
  };
}

async function cpuProfile(inspector: Inspector, run: () => Promise<unknown>): Promise<CpuProfile> {
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: CPU_SAMPLING_US });
  await inspector.send("Profiler.start");
  await run();
  const { profile } = await inspector.send<{ profile: CpuProfile }>("Profiler.stop");
  await inspector.send("Profiler.disable");
  return profile;
}

type SamplingHead = Parameters<typeof sampledBytes>[0];

async function heapSample(
  inspector: Inspector,
  locate: (url: string, line: number) => string,
  run: () => Promise<unknown>,
): Promise<{ bytes: number; frames: ReturnType<typeof bytesByFrame> }> {
  await inspector.send("HeapProfiler.enable");
  await inspector.send("HeapProfiler.startSampling", {
    samplingInterval: HEAP_SAMPLING_BYTES,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await run();
  const { profile } = await inspector.send<{ profile: { head: SamplingHead } }>("HeapProfiler.stopSampling");
  await inspector.send("HeapProfiler.disable");
  return { bytes: sampledBytes(profile.head), frames: bytesByFrame(profile.head, locate) };
}

/** Maps a bundle line to the source module esbuild noted above it (`// worker/proxy/forward.ts`). */
function bundleLocator(bundlePath: string | null): (url: string, line: number) => string {
  if (!bundlePath) return (url, line) => `${url}:${line + 1}`;
  const starts: { line: number; module: string }[] = [];
  readFileSync(bundlePath, "utf8")
    .split("\n")
    .forEach((text, line) => {
      const match = /^\/\/ (\S+\.(?:ts|js|mjs|cjs))$/.exec(text);
      if (match?.[1]) starts.push({ line, module: match[1].replace(/^.*node_modules\//, "") });
    });
  return (_url, line) => {
    let module = "bundle";
    for (const start of starts) {
      if (start.line > line) break;
      module = start.module;
    }
    return module;
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
