/**
 * Probing one origin: an HTTP request (or, with `type: "tcp"`, a TCP connection), bounded by the
 * check's timeout, body reading included. The request and the verdict come from the pure rules in
 * worker/health; the HealthProber runs these, at most `MAX_CONCURRENT_PROBES` per call.
 */
import { connect } from "cloudflare:sockets";
import { checkTimeoutMs, type HealthCheck, type Origin } from "../../worker/config/schema.ts";
import { originTarget } from "../../worker/health/identity.ts";
import {
  buildProbeRequest,
  MAX_PROBE_BODY_BYTES,
  MAX_PROBE_REDIRECTS,
  type ProbeRequest,
  redirectHop,
} from "../../worker/health/probe-request.ts";
import { evaluateProbe, type ProbeOutcome } from "../../worker/health/probe-result.ts";

/**
 * Probes a Worker invocation runs at once: a Worker may hold six connections waiting for headers,
 * and a probe queued behind them would time out without having been sent. So one prober call
 * carries at most this many origins, and the PoolState spreads a pool over as many calls as needed.
 */
export const MAX_CONCURRENT_PROBES = 6;

/** What probing one origin found; the PoolState stamps the time when it applies the verdict. */
export interface ProbeFinding {
  name: string;
  /** The server probed (`originTarget`); a verdict about another server is dropped. */
  target: string;
  ok: boolean;
  error: string | null;
  latencyMs: number | null;
}

/**
 * Probes one origin with the check (HTTP, or a TCP connection with `type: "tcp"`) and judges it.
 * @example const finding = await probeOrigin(origin, check, parseExpectedCodes(check.expectedCodes));
 */
export async function probeOrigin(
  origin: Origin,
  check: HealthCheck,
  matches: (status: number) => boolean,
  region: string | null = null,
): Promise<ProbeFinding> {
  const target = originTarget(origin);
  const timeoutMs = checkTimeoutMs(check);
  if (check.type === "tcp") {
    const { ok, error, latencyMs } = await connectOnce(origin.address, timeoutMs);
    return { name: origin.name, target, ok, error, latencyMs };
  }
  const { outcome, latencyMs } = await probeOne(origin, check, region);
  const verdict = evaluateProbe(outcome, { ...check, timeoutMs }, matches);
  return { name: origin.name, target, ok: verdict.ok, error: verdict.error, latencyMs };
}

/**
 * A TCP check: opens a connection to the address's host and port (80 or 443 by default) with
 * `connect()` and closes it at once.
 */
async function connectOnce(
  address: string,
  timeoutMs: number,
): Promise<{ ok: boolean; error: string | null; latencyMs: number | null }> {
  const url = new URL(address);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const started = Date.now();
  let socket: Socket | null = null;
  try {
    socket = connect({ hostname, port });
    const opened = await Promise.race([socket.opened.then(() => "open" as const), timeout]);
    if (opened === "timeout") return { ok: false, error: `timeout after ${timeoutMs} ms`, latencyMs: null };
    return { ok: true, error: null, latencyMs: Date.now() - started };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: `connection failed: ${message}`, latencyMs: null };
  } finally {
    clearTimeout(timer);
    socket?.close().catch(() => undefined);
  }
}

async function probeOne(
  origin: Origin,
  check: HealthCheck,
  region: string | null,
): Promise<{ outcome: ProbeOutcome; latencyMs: number | null }> {
  const signal = AbortSignal.timeout(checkTimeoutMs(check));
  try {
    const first = buildProbeRequest(origin, check, region);
    // Date.now() advances across awaits only, which is exactly the span to measure.
    const started = Date.now();
    let request = first;
    let response = await send(request, signal);
    for (let hop = 0; hop < MAX_PROBE_REDIRECTS; hop++) {
      const next = redirectHop(first.url, request, response.status, response.headers.get("location"));
      if (next === null) break;
      await discard(response.body);
      request = next;
      response = await send(request, signal);
    }
    const latencyMs = Date.now() - started;
    const wantsBody = check.expectedBody !== null && check.method === "GET";
    const body = wantsBody ? await readPrefix(response.body, MAX_PROBE_BODY_BYTES) : null;
    if (!wantsBody) await discard(response.body);
    const location = response.headers.get("location");
    return { outcome: { kind: "response", status: response.status, location, body }, latencyMs };
  } catch (error) {
    if (signal.aborted) return { outcome: { kind: "timeout" }, latencyMs: null };
    const message = error instanceof Error ? error.message : String(error);
    return { outcome: { kind: "error", message }, latencyMs: null };
  }
}

/** One hop of a probe; redirects are the caller's to follow (`redirectHop`). */
function send(request: ProbeRequest, signal: AbortSignal): Promise<Response> {
  const init: RequestInit<RequestInitCfProperties> = {
    method: request.method,
    headers: request.headers,
    redirect: "manual",
    signal,
  };
  if (request.resolveOverride !== null) init.cf = { resolveOverride: request.resolveOverride };
  return fetch(request.url, init);
}

/** Reads at most `limit` bytes of a body as text, then lets go of the rest. */
async function readPrefix(body: ReadableStream<Uint8Array> | null, limit: number): Promise<string> {
  if (body === null) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    if (size >= limit) {
      await reader.cancel();
      break;
    }
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  const bytes = new Uint8Array(Math.min(size, limit));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - offset);
    bytes.set(part, offset);
    offset += part.length;
  }
  return new TextDecoder().decode(bytes);
}

/** Frees the connection of a response whose body the check does not need. */
async function discard(body: ReadableStream | null): Promise<void> {
  // A body that is already closed or errored has nothing left to free; the status is what counts.
  await body?.cancel().catch(() => undefined);
}
