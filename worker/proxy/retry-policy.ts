/**
 * Which failed attempts may be tried again on another origin. Pure.
 *
 * Only failures whose request may safely be repeated are retried: methods listed in the load
 * balancer's `retries.methods`, with a body that is still in memory. One exception: when nothing
 * reached the origin, any method may be retried. Only the Worker's own runtime can prove that, and it
 * reports its failures to connect as exceptions, never as responses. A response is never such proof,
 * whatever its status: the 521-526 family ("origin down", "connection timed out", ...) is also sent
 * by origins and by CDNs in front of them, possibly after they received and acted on the request, so
 * those statuses count as failures (like `onStatus`) only for the methods listed as safe to repeat.
 * The runtime reports a refused connection, a reset after sending and a DNS failure alike
 * (`Error("Network connection lost.")`, `retryable: true`), so a thrown connection error proves
 * nothing by itself either; the proxy asks the network once more and calls the failure `refused`
 * when the origin refuses connections right now (refusal.ts: rule and limits).
 */
import type { Retries } from "../config/schema.ts";

/**
 * Statuses a CDN in front of an origin answers with when it could not reach or talk to it. They are
 * failures of the origin, retried like `onStatus` for methods safe to repeat, and never taken as
 * proof that nothing was sent: the origin, or a CDN, may have produced them after receiving it.
 */
const CONNECTION_FAILURE_STATUSES = new Set([521, 522, 523, 525, 526]);

/** How an attempt failed; null for an attempt whose response goes to the client as it is. */
export type AttemptFailure =
  /** No response headers within the timeout. */
  | "timeout"
  /** The connection failed; the request may or may not have reached the origin. */
  | "connect"
  /** The connection failed and the origin refuses connections right now: nothing reached it. */
  | "refused"
  /** The answer's status is listed in `retries.onStatus`, or is a CDN's connection failure (521-526). */
  | "status";

/**
 * Classifies a response status: `status` for one listed in `onStatus` or a CDN's connection
 * failure (521, 522, 523, 525, 526), null for anything else (the response is the answer). A
 * response is never classified as "not sent" (see the top of this file).
 * @example failureOfStatus(503, lb.retries) === "status"
 */
export function failureOfStatus(status: number, retries: Pick<Retries, "onStatus">): AttemptFailure | null {
  return retries.onStatus.includes(status) || CONNECTION_FAILURE_STATUSES.has(status) ? "status" : null;
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
  if (neverReachedOrigin(question.failure)) return true;
  return isRetryableMethod(question.method, question.retries);
}

/** Whether the policy lists `method` as safe to repeat. */
export function isRetryableMethod(method: string, retries: Pick<Retries, "methods">): boolean {
  return retries.methods.includes(method.toUpperCase());
}

/** Failures that prove the request never reached the origin. */
export function neverReachedOrigin(failure: AttemptFailure): boolean {
  return failure === "refused";
}

/**
 * Whether a retry after this failure spends the retry budget: after a timeout or a retryable status
 * the failed origin did the work and a retry adds load; after a failed connection it did not.
 * @example spendsBudget("timeout") === true
 */
export function spendsBudget(failure: AttemptFailure): boolean {
  return failure === "timeout" || failure === "status";
}

/** Everything the retry decision looks at after a failed attempt. */
export interface RetryCase extends RetryQuestion {
  /** Whether another attempt is allowed (`retries.attempts`) and an origin not yet tried is left (retry-route.ts). */
  readonly nextTarget: boolean;
  /** Whether the network was asked if the origin refuses connections (after "connect" only). */
  readonly probed: boolean;
  /** Whether the isolate's retry budget holds a token now (retry-budgets.ts). */
  readonly budgetAllows: boolean;
}

/**
 * What to do after a failed attempt:
 * - `retry`: try the next target; the retry budget is not involved (nothing reached the origin, or
 *   the connection failed);
 * - `retry_paid`: try the next target on the budget's credit (it pays if it fails too);
 * - `probe`: a connection failure of a method the policy does not list: ask the network whether the
 *   origin refuses connections, then decide again with the failure `refused` (it does) or unchanged;
 * - `give_up`: the failure is the answer (no target left, or the policy forbids a retry);
 * - `budget_spent`: the policy allows a retry but the retry budget is spent.
 */
export type RetryDecision = "retry" | "retry_paid" | "probe" | "give_up" | "budget_spent";

/**
 * The retry decision after a failed attempt. Pure.
 * @example decideRetry({ failure: "timeout", method: "GET", retries, bodyReplayable: true, nextTarget: true, probed: false, budgetAllows: true }) === "retry_paid"
 */
export function decideRetry(next: RetryCase): RetryDecision {
  if (!next.nextTarget) return "give_up";
  if (
    next.failure === "connect" &&
    !next.probed &&
    next.bodyReplayable &&
    !isRetryableMethod(next.method, next.retries)
  ) {
    return "probe";
  }
  if (!mayRetry(next)) return "give_up";
  if (!spendsBudget(next.failure)) return "retry";
  return next.budgetAllows ? "retry_paid" : "budget_spent";
}
