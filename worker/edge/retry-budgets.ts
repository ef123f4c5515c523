/**
 * The retry budget: retries may add at most a fifth to the load a load balancer's clients send, so
 * an outage (every origin slow or answering 5xx) cannot triple the load on origins that are already
 * struggling. Pure: the clock is an argument.
 *
 * A token bucket per load balancer per isolate. Every client request deposits `RETRY_RATIO` tokens,
 * time deposits `RETRY_FLOOR_PER_SECOND` tokens per second (so a quiet load balancer can still retry
 * now and then), and the bucket holds at most `RETRY_BURST` tokens (it starts full). Only retries
 * after a timeout or a retryable status need the budget: those are the failures of an origin that is
 * overloaded or broken while still taking requests, where a retry adds load. A retry after a failed
 * connection moves the request rather than repeating it (the origin refused it, or vanished with
 * it) and needs none.
 *
 * Such a retry may go ahead while the bucket holds a token, and pays one only when it fails too
 * (timeout or 5xx): a retry that another origin answers relieved a broken origin rather than adding
 * to an outage, so one bad origin among good ones never costs a client an error, however many
 * requests meet it at once. In an outage the retries fail, pay, and the budget runs dry as intended;
 * retries already under way when it does may take it below zero (by at most `RETRY_BURST`), which
 * later deposits repay before the next retry.
 *
 * A token bucket rather than a bound on concurrent retries (Envoy's `retry_budget`): a Worker
 * isolate holds few requests at once, so a concurrency bound would sit at its floor nearly always,
 * while a rate bounds the extra load directly and needs no bookkeeping when attempts end.
 */

/** Tokens one client request adds: retries stay within this share of requests, over time. */
export const RETRY_RATIO = 0.2;
/** Tokens added per second whatever the traffic, so a little traffic can still be retried. */
export const RETRY_FLOOR_PER_SECOND = 1;
/** Most tokens the bucket holds: the retries an isolate may spend at once after a calm period. */
export const RETRY_BURST = 10;
/** Bound on remembered load balancers, so an isolate's memory stays bounded. */
const MAX_BUCKETS = 10_000;
/** A spent budget is logged at most this often per load balancer per isolate. */
const DENIAL_LOG_INTERVAL_MS = 10_000;

export class RetryBudget {
  #tokens = RETRY_BURST;
  #at: number;
  #deniedLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(now: number) {
    this.#at = now;
  }

  /** Counts one client request. */
  deposit(now: number): void {
    this.#refill(now);
    this.#tokens = Math.min(RETRY_BURST, this.#tokens + RETRY_RATIO);
  }

  /** Whether a retry may go ahead now (the bucket holds a token); takes nothing. */
  allows(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= 1;
  }

  /** Takes a token for a retry that failed. */
  charge(now: number): void {
    this.#refill(now);
    this.#tokens = Math.max(-RETRY_BURST, this.#tokens - 1);
  }

  /** Takes a token for one retry up front; false (taking nothing) when the budget is spent. */
  withdraw(now: number): boolean {
    if (!this.allows(now)) return false;
    this.charge(now);
    return true;
  }

  /** Whether a refused retry should be logged now (at most once per 10 s), so an outage logs a trickle. */
  shouldLogDenial(now: number): boolean {
    if (now - this.#deniedLoggedAt < DENIAL_LOG_INTERVAL_MS) return false;
    this.#deniedLoggedAt = now;
    return true;
  }

  /** Tokens available now (for tests and metrics). */
  tokens(now: number): number {
    this.#refill(now);
    return this.#tokens;
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#at);
    this.#at = Math.max(this.#at, now);
    this.#tokens = Math.min(RETRY_BURST, this.#tokens + (elapsed / 1000) * RETRY_FLOOR_PER_SECOND);
  }
}

const budgets = new Map<string, RetryBudget>();

/** Drops the budgets of load balancers not in `loadBalancerIds`; returns how many are kept. */
export function forgetRetryBudgets(loadBalancerIds: ReadonlySet<string>): number {
  for (const id of budgets.keys()) if (!loadBalancerIds.has(id)) budgets.delete(id);
  return budgets.size;
}

/**
 * This isolate's budget of one load balancer.
 * @example retryBudgetOf(lb.id, Date.now()).deposit(Date.now())
 */
export function retryBudgetOf(loadBalancerId: string, now: number): RetryBudget {
  let budget = budgets.get(loadBalancerId);
  if (!budget) {
    if (budgets.size >= MAX_BUCKETS) budgets.clear();
    budget = new RetryBudget(now);
    budgets.set(loadBalancerId, budget);
  }
  return budget;
}
