/**
 * One attempt: a single fetch to one origin, bounded by the load balancer's timeout, classified
 * as a response, a timeout or a connection failure. Never throws for what the origin does.
 */
import type { UpstreamTarget } from "./upstream-url.ts";

export type AttemptResult =
  | { readonly kind: "response"; readonly response: Response; readonly latencyMs: number }
  | { readonly kind: "timeout"; readonly latencyMs: number }
  | { readonly kind: "connect"; readonly latencyMs: number; readonly message: string };

export interface AttemptRequest {
  readonly method: string;
  readonly headers: Headers;
  readonly body: Uint8Array | ReadableStream<Uint8Array> | null;
}

/**
 * Sends `request` to `target`. The timeout bounds the wait for the response headers only: an
 * `AbortSignal.timeout` passed to `fetch` would also cut a body that is still streaming when it
 * fires (measured in workerd), truncating long downloads, event streams and WebSockets.
 * @example const result = await sendAttempt(target, { method: "GET", headers, body: null }, 30_000);
 */
export async function sendAttempt(
  target: UpstreamTarget,
  request: AttemptRequest,
  timeoutMs: number,
): Promise<AttemptResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const started = Date.now();
  try {
    const response = await fetch(target.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: controller.signal,
      ...(target.resolveOverride ? { cf: { resolveOverride: target.resolveOverride } } : {}),
    });
    return { kind: "response", response, latencyMs: Date.now() - started };
  } catch (error) {
    const latencyMs = Date.now() - started;
    if (controller.signal.aborted) return { kind: "timeout", latencyMs };
    return { kind: "connect", latencyMs, message: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
