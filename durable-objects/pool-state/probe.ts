/**
 * Probing a pool's origins: one request each, at most `MAX_CONCURRENT_PROBES` at once (a Worker may
 * hold six connections waiting for headers), each bounded by the check's timeout, body reading
 * included. The request and the verdict come from the pure rules in worker/health.
 */
import type { HealthCheck, Origin } from "../../worker/config/schema.ts";
import {
  buildProbeRequest,
  MAX_PROBE_BODY_BYTES,
  MAX_PROBE_REDIRECTS,
  type ProbeRequest,
  redirectHop,
} from "../../worker/health/probe-request.ts";
import { evaluateProbe, type ProbeOutcome, parseExpectedCodes } from "../../worker/health/probe-result.ts";
import type { ProbeResult } from "../../worker/health/record.ts";

export const MAX_CONCURRENT_PROBES = 6;

/**
 * Probes every origin (enabled or not) and returns one result per origin, in pool order.
 * `clock` stamps each result when its probe completes.
 */
export async function probeOrigins(
  origins: readonly Origin[],
  check: HealthCheck,
  clock: () => number,
): Promise<ProbeResult[]> {
  const matches = parseExpectedCodes(check.expectedCodes);
  return runBounded(origins, MAX_CONCURRENT_PROBES, async (origin) => {
    const { outcome, latencyMs } = await probeOne(origin, check);
    const verdict = evaluateProbe(outcome, check, matches);
    return { name: origin.name, ok: verdict.ok, error: verdict.error, latencyMs, at: clock() };
  });
}

async function probeOne(
  origin: Origin,
  check: HealthCheck,
): Promise<{ outcome: ProbeOutcome; latencyMs: number | null }> {
  const signal = AbortSignal.timeout(check.timeoutMs);
  try {
    const first = buildProbeRequest(origin, check);
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

async function runBounded<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
