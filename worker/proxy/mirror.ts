/**
 * The mirror phase of the proxy: a copy of a share of a load balancer's requests goes to an origin
 * of its `mirror` pool once the real request has its answer, in the background (`waitUntil`). The
 * copy's answer is discarded; it never changes what the client gets or when, never counts against
 * any pool's health (no report of attempts, no ejection), and has its own metrics
 * (`edge_lb_mirror_requests_total`, `edge_lb_mirror_response_seconds`).
 *
 * A request body is copied while the real request reads it (a tee), at most `maxBodyBytes` of it: a
 * body found larger is not mirrored. Which requests are copied is decided in worker/routing/mirror.ts.
 */
import type { Candidate } from "../balancing/types.ts";
import type { LoadBalancer, Pool } from "../config/schema.ts";
import type { Mirror } from "../config/traffic.ts";
import { recordMirror } from "../edge/metrics.ts";
import { poolCandidatesHere } from "../edge/pool-view.ts";
import { flushReports, notePoolActivity } from "../edge/reports.ts";
import type { Env } from "../env.ts";
import { declaredBodyBytes, mirrorVerdict } from "../routing/mirror.ts";
import { sendAttempt } from "./attempt.ts";
import { type ForwardingInfo, upstreamRequestHeaders } from "./headers.ts";
import { concat } from "./request-body.ts";
import { upstreamTarget } from "./upstream-url.ts";

/** Marks a mirrored copy, so a shadow origin can tell copies from real traffic. */
export const MIRROR_HEADER = "x-edge-lb-mirror";

/** A request chosen for mirroring, with its body being copied. */
export interface MirrorCopy {
  /** Sends the copy in the background; call once the real request has its answer (or failed). */
  send(): void;
}

export interface MirrorInput {
  readonly request: Request;
  readonly pathAndQuery: string;
  readonly loadBalancer: LoadBalancer;
  readonly pools: ReadonlyMap<string, Pool>;
  readonly info: ForwardingInfo;
  readonly env: Env;
  readonly ctx: Pick<ExecutionContext, "waitUntil">;
}

/**
 * Phase `startMirror`: whether to mirror this request (null when not); when so, starts copying its
 * body. Call before the real request reads the body, and `send()` once it has its answer.
 * @example const mirror = startMirror(plan); const result = await forward(plan); mirror?.send();
 */
export function startMirror(input: MirrorInput): MirrorCopy | null {
  const mirror = input.loadBalancer.mirror;
  if (!mirror) return null;
  const pool = input.pools.get(mirror.pool);
  if (!pool?.enabled) return null;
  const { request } = input;
  // A WebSocket handshake is a connection, not a request to replay.
  if (input.info.webSocket) return null;
  const hasBody = request.body !== null && request.method !== "GET" && request.method !== "HEAD";
  const declared = declaredBodyBytes(request.headers.get("content-length"), hasBody);
  if (mirrorVerdict(mirror, request.method, declared, Math.random) !== "mirror") return null;
  const headers = upstreamRequestHeaders(request.headers, input.info);
  headers.set(MIRROR_HEADER, "1");
  const body = hasBody ? readUpTo(request.clone().body, mirror.maxBodyBytes) : Promise.resolve(null);
  // The copy is read while the real request reads its branch, so neither waits for the other.
  body.catch(() => null);
  return {
    send: () => input.ctx.waitUntil(sendCopy(input, mirror, pool, headers, body, hasBody)),
  };
}

async function sendCopy(
  input: MirrorInput,
  mirror: Mirror,
  pool: Pool,
  headers: Headers,
  bodyRead: Promise<Uint8Array | null>,
  hasBody: boolean,
): Promise<void> {
  let body: Uint8Array | null;
  try {
    body = await bodyRead;
  } catch {
    return;
  }
  // Larger than maxBodyBytes, found while reading: not mirrored.
  if (hasBody && body === null) return;
  const candidate = pickOrigin(poolCandidatesHere(pool, Date.now()).candidates);
  const origin = candidate ? pool.origins[candidate.index] : undefined;
  if (!origin) return;
  for (const name in origin.headers) headers.set(name, origin.headers[name] as string);
  const result = await sendAttempt(
    upstreamTarget(origin, input.pathAndQuery),
    { method: input.request.method, headers, body },
    input.loadBalancer.timeouts.requestMs,
  );
  if (result.kind === "response") await result.response.body?.cancel().catch(() => undefined);
  recordMirror(input.loadBalancer.id, mirror.pool, origin.name, {
    status: result.kind === "response" ? result.response.status : null,
    error: result.kind === "response" ? null : result.kind,
    latencyMs: result.latencyMs,
  });
  notePoolActivity(mirror.pool);
  flushReports(input.env, input.ctx, Date.now());
}

/** A usable origin of the mirror pool, drawn in proportion to its weight. */
function pickOrigin(candidates: readonly Candidate[]): Candidate | undefined {
  if (candidates.length <= 1) return candidates[0];
  let total = 0;
  for (const candidate of candidates) total += candidate.weight;
  let target = Math.random() * total;
  for (const candidate of candidates) {
    target -= candidate.weight;
    if (target < 0) return candidate;
  }
  return candidates[candidates.length - 1];
}

/** The whole body when it has at most `limit` bytes, else null (reading stops at the limit). */
async function readUpTo(
  stream: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<Uint8Array | null> {
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return concat(chunks, size);
}
