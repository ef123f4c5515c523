/**
 * One attempt: a single fetch to one origin, bounded by the load balancer's timeout, classified
 * as a response, a timeout or a connection failure. Never throws for what the origin does.
 */
import type { UpstreamTarget } from "../http/upstream-target.ts";

export type AttemptResult =
  | { readonly kind: "response"; readonly response: Response; readonly latencyMs: number }
  | { readonly kind: "timeout"; readonly latencyMs: number }
  | {
      readonly kind: "connect";
      readonly latencyMs: number;
      readonly message: string;
      /**
       * `client` when the failure was not the origin's: the runtime refused to send the request (a
       * `TypeError` before anything went out) or the client's upload broke off mid-stream.
       */
      readonly cause: "network" | "client";
    };

export interface AttemptRequest {
  readonly method: string;
  readonly headers: Headers;
  readonly body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** For a streamed body: whether the client's side of it broke off. */
  readonly bodyBroke?: () => boolean;
}

/** Something to do at a regular interval while an attempt waits for its response headers. */
export interface Heartbeat {
  readonly everyMs: number;
  beat(): void;
}

/**
 * Sends `request` to `target`. The timeout bounds the wait for the response headers only: an
 * `AbortSignal.timeout` passed to `fetch` would also cut a body that is still streaming when it
 * fires (measured in workerd), truncating long downloads, event streams and WebSockets.
 *
 * One timer serves both the timeout and the `heartbeat`: it fires every `heartbeat.everyMs` while
 * the wait lasts (and at the timeout), so a response that comes quickly, the common case, costs one
 * timer set and cleared, and nothing more.
 * @example const result = await sendAttempt(target, { method: "GET", headers, body: null }, 30_000);
 */
export async function sendAttempt(
  target: UpstreamTarget,
  request: AttemptRequest,
  timeoutMs: number,
  heartbeat: Heartbeat | null = null,
): Promise<AttemptResult> {
  const controller = new AbortController();
  const timer: AttemptTimer = { controller, heartbeat, left: timeoutMs, handle: undefined };
  armTimer(timer);
  const init: RequestInit<RequestInitCfProperties> = {
    method: request.method,
    headers: request.headers,
    body: request.body,
    redirect: "manual",
    signal: controller.signal,
  };
  if (target.resolveOverride) init.cf = { resolveOverride: target.resolveOverride };
  const started = Date.now();
  try {
    const response = await fetch(target.url, init);
    if (request.bodyBroke?.() === true) {
      // The runtime ends an upload whose source failed as if it were complete: the origin answered
      // a truncated request. That answer is not passed on, and the failure is the client's.
      await response.body?.cancel();
      const latencyMs = Date.now() - started;
      return { kind: "connect", latencyMs, message: "the request body broke off", cause: "client" };
    }
    return { kind: "response", response, latencyMs: Date.now() - started };
  } catch (error) {
    const latencyMs = Date.now() - started;
    if (controller.signal.aborted) return { kind: "timeout", latencyMs };
    const message = error instanceof Error ? error.message : String(error);
    const client = error instanceof TypeError || request.bodyBroke?.() === true;
    return { kind: "connect", latencyMs, message, cause: client ? "client" : "network" };
  } finally {
    clearTimeout(timer.handle);
  }
}

/** The one timer of an attempt (module-level callbacks: nothing is allocated per attempt for them). */
interface AttemptTimer {
  readonly controller: AbortController;
  readonly heartbeat: Heartbeat | null;
  /** Milliseconds of the timeout not yet covered by a scheduled wait. */
  left: number;
  handle: ReturnType<typeof setTimeout> | undefined;
}

function armTimer(timer: AttemptTimer): void {
  const beatMs = timer.heartbeat?.everyMs ?? Number.POSITIVE_INFINITY;
  const wait = Math.min(beatMs, timer.left);
  timer.left -= wait;
  timer.handle = setTimeout(onTimer, wait, timer);
}

function onTimer(timer: AttemptTimer): void {
  if (timer.left <= 0) {
    timer.controller.abort();
    return;
  }
  timer.heartbeat?.beat();
  armTimer(timer);
}
