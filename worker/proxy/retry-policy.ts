/**
 * Which failed attempts may be tried again on another origin. Pure.
 *
 * Only failures whose request may safely be repeated are retried: methods listed in the load
 * balancer's `retries.methods`, with a body that is still in memory. One exception: when nothing
 * reached the origin, any method may be retried. The Workers runtime reports refused, reset and
 * DNS failures alike (an Error with `retryable: true`), so a thrown connection error cannot prove
 * that nothing was sent and follows the method list; Cloudflare's 521, 522, 523, 525 and 526
 * answers (origin down, connect timeout, unreachable, TLS handshake or certificate failure) are
 * produced before the request is sent and prove it.
 */
import type { Retries } from "../config/schema.ts";

/** Statuses Cloudflare answers with when it could not open a connection to the origin. */
const NOT_SENT_STATUSES = new Set([521, 522, 523, 525, 526]);

/** How an attempt failed; null for an attempt whose response goes to the client as it is. */
export type AttemptFailure =
  /** No response headers within the timeout. */
  | "timeout"
  /** The connection failed; the request may or may not have reached the origin. */
  | "connect"
  /** The connection could not be opened, so the request never left. */
  | "not_sent"
  /** The origin answered with a status listed in `retries.onStatus`. */
  | "status";

/**
 * Classifies a response status: `not_sent` for Cloudflare's connection failures, `status` for one
 * listed in `onStatus`, null for anything else (the response is the answer).
 * @example failureOfStatus(503, lb.retries) === "status"
 */
export function failureOfStatus(status: number, retries: Pick<Retries, "onStatus">): AttemptFailure | null {
  if (NOT_SENT_STATUSES.has(status)) return "not_sent";
  return retries.onStatus.includes(status) ? "status" : null;
}

export interface RetryQuestion {
  readonly failure: AttemptFailure;
  readonly method: string;
  readonly retries: Pick<Retries, "methods">;
  /** Whether the body can be sent again (absent or held in memory). */
  readonly bodyReplayable: boolean;
}

/**
 * Whether this failure may be tried again on another origin (budget and remaining origins are
 * the caller's to check).
 * @example mayRetry({ failure: "timeout", method: "GET", retries: lb.retries, bodyReplayable: true })
 */
export function mayRetry(question: RetryQuestion): boolean {
  if (!question.bodyReplayable) return false;
  if (question.failure === "not_sent") return true;
  return question.retries.methods.includes(question.method.toUpperCase());
}
