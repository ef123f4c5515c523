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
 * timer set and cleared, and nothing more. With a caller's `timer` (one per request: forward.ts,
 * which carries its own heartbeat), a response leaves that timer running without its deadline, so
 * that a held body (hold.ts) keeps beating on it instead of setting a timer of its own; unless held,
 * it stops when it next fires, or when the caller stops it.
 * @example const result = await sendAttempt(target, { method: "GET", headers, body: null }, 30_000);
 */
export async function sendAttempt(
  target: UpstreamTarget,
  request: AttemptRequest,
  timeoutMs: number,
  heartbeat: Heartbeat | null = null,
  timer?: AttemptTimer,
): Promise<AttemptResult> {
  const clock = timer ?? new AttemptTimer(heartbeat);
  const signal = clock.start(timeoutMs);
  const init: RequestInit<RequestInitCfProperties> = {
    method: request.method,
    headers: request.headers,
    body: request.body,
    redirect: "manual",
    signal,
  };
  if (target.resolveOverride) init.cf = { resolveOverride: target.resolveOverride };
  const started = Date.now();
  let answered = false;
  try {
    const response = await fetch(target.url, init);
    if (request.bodyBroke?.() === true) {
      // The runtime ends an upload whose source failed as if it were complete: the origin answered
      // a truncated request. That answer is not passed on, and the failure is the client's.
      await response.body?.cancel();
      const latencyMs = Date.now() - started;
      return { kind: "connect", latencyMs, message: "the request body broke off", cause: "client" };
    }
    answered = true;
    return { kind: "response", response, latencyMs: Date.now() - started };
  } catch (error) {
    const latencyMs = Date.now() - started;
    if (signal.aborted) return { kind: "timeout", latencyMs };
    const message = error instanceof Error ? error.message : String(error);
    const client = error instanceof TypeError || request.bodyBroke?.() === true;
    return { kind: "connect", latencyMs, message, cause: client ? "client" : "network" };
  } finally {
    clock.headersDone(answered && timer !== undefined);
  }
}

/**
 * The timer of a request's attempts: the deadline and heartbeat of the attempt that waits for its
 * response headers, then (when `hold` asks for it) the heartbeat of the body being held. The
 * callback is module-level: nothing is allocated per firing.
 */
export class AttemptTimer {
  readonly heartbeat: Heartbeat | null;
  /** The waiting attempt's abort; null once its headers came (the deadline no longer applies). */
  controller: AbortController | null = null;
  /** Milliseconds of the timeout not yet covered by a scheduled wait. */
  left = 0;
  /** What the timer beats for after the headers: a held body's in-flight mark (hold.ts), until released. */
  held: { readonly released: boolean } | null = null;
  handle: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(heartbeat: Heartbeat | null) {
    this.heartbeat = heartbeat;
  }

  /** Starts the deadline of an attempt (stopping whatever the timer did before); its abort signal. */
  start(timeoutMs: number): AbortSignal {
    this.stop();
    const controller = new AbortController();
    this.controller = controller;
    this.left = timeoutMs;
    armTimer(this);
    return controller.signal;
  }

  /**
   * The attempt ended: with a response the timer keeps running without its deadline (it is
   * stopped when it next fires, unless `hold` was called meanwhile); otherwise it stops.
   */
  headersDone(keep: boolean): void {
    this.controller = null;
    if (!keep || this.heartbeat === null) this.stop();
  }

  /** Keeps the heartbeat going after the headers while `ticket` is held, until `stop` or its release. */
  hold(ticket: { readonly released: boolean }): void {
    this.held = ticket;
    if (this.handle === undefined && this.heartbeat !== null) {
      this.handle = setTimeout(onTimer, this.heartbeat.everyMs, this);
    }
  }

  stop(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
    this.held = null;
  }
}

function armTimer(timer: AttemptTimer): void {
  const beatMs = timer.heartbeat?.everyMs ?? Number.POSITIVE_INFINITY;
  const wait = Math.min(beatMs, timer.left);
  timer.left -= wait;
  timer.handle = setTimeout(onTimer, wait, timer);
}

function onTimer(timer: AttemptTimer): void {
  timer.handle = undefined;
  const { controller, heartbeat } = timer;
  if (controller === null) {
    // The headers came: only a held body keeps the timer going, as its heartbeat.
    if (timer.held === null || timer.held.released || heartbeat === null) return;
    heartbeat.beat();
    timer.handle = setTimeout(onTimer, heartbeat.everyMs, timer);
    return;
  }
  if (timer.left <= 0) {
    controller.abort();
    return;
  }
  heartbeat?.beat();
  armTimer(timer);
}
