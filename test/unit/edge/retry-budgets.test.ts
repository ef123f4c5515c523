import { describe, expect, it } from "vitest";
import { RetriesSchema } from "../../../worker/config/schema.ts";
import { isFailure } from "../../../worker/edge/outcomes.ts";
import {
  RETRY_BURST,
  RETRY_FLOOR_PER_SECOND,
  RETRY_RATIO,
  RetryBudget,
} from "../../../worker/edge/retry-budgets.ts";
import { mayRetry, spendsBudget } from "../../../worker/proxy/retry-policy.ts";

const T0 = 1_700_000_000_000;

/** Retries granted when every one of `requests` requests (at `perSecond`) wants one. */
function granted(budget: RetryBudget, requests: number, perSecond: number, start = T0): number {
  let count = 0;
  for (let i = 0; i < requests; i++) {
    const now = start + (i * 1000) / perSecond;
    budget.deposit(now);
    if (budget.withdraw(now)) count++;
  }
  return count;
}

describe("the retry budget", () => {
  it("starts with a burst, then holds retries to a fifth of requests plus a small floor", () => {
    const budget = new RetryBudget(T0);
    // 10 s of an outage at 100 requests/s where every request fails once.
    const count = granted(budget, 1000, 100);
    const bound = RETRY_BURST + 1000 * RETRY_RATIO + 10 * RETRY_FLOOR_PER_SECOND;
    expect(count).toBeLessThanOrEqual(Math.ceil(bound));
    expect(count).toBeGreaterThanOrEqual(Math.floor(bound) - 1);
  });

  it("lets a quiet load balancer retry now and then", () => {
    const budget = new RetryBudget(T0);
    for (let i = 0; i < RETRY_BURST; i++) expect(budget.withdraw(T0)).toBe(true);
    expect(budget.withdraw(T0)).toBe(false);
    expect(budget.withdraw(T0 + 1000 / RETRY_FLOOR_PER_SECOND)).toBe(true);
  });

  it("refills after calm traffic, but never beyond the burst", () => {
    const budget = new RetryBudget(T0);
    for (let i = 0; i < RETRY_BURST; i++) budget.withdraw(T0);
    for (let i = 0; i < 10_000; i++) budget.deposit(T0 + i);
    expect(budget.tokens(T0 + 10_000)).toBe(RETRY_BURST);
  });
});

describe("which retries spend it", () => {
  const retries = RetriesSchema.parse({});

  it("timeouts and retryable statuses do; failed connections do not", () => {
    expect(spendsBudget("timeout")).toBe(true);
    expect(spendsBudget("status")).toBe(true);
    expect(spendsBudget("connect")).toBe(false);
    expect(spendsBudget("refused")).toBe(false);
  });

  it("a refused connection is retryable for any method with a body in memory", () => {
    expect(mayRetry({ failure: "refused", method: "POST", retries, bodyReplayable: true })).toBe(true);
    expect(mayRetry({ failure: "refused", method: "PATCH", retries, bodyReplayable: false })).toBe(false);
    expect(mayRetry({ failure: "connect", method: "POST", retries, bodyReplayable: true })).toBe(false);
  });
});

describe("the retry budget's debt", () => {
  it("lets retries through while it holds a token and takes one only for a retry that failed", () => {
    const budget = new RetryBudget(0);
    for (let i = 0; i < 100; i++) expect(budget.allows(0)).toBe(true);
    for (let i = 0; i < RETRY_BURST; i++) budget.charge(0);
    expect(budget.allows(0)).toBe(false);
  });

  it("owes at most its size, which deposits repay before the next retry", () => {
    const budget = new RetryBudget(0);
    for (let i = 0; i < RETRY_BURST * 5; i++) budget.charge(0);
    expect(budget.tokens(0)).toBe(-RETRY_BURST);
    expect(budget.allows(RETRY_BURST * 1000)).toBe(false);
    expect(budget.allows((RETRY_BURST + 1) * 1000)).toBe(true);
  });
});

describe("what counts against an origin's passive health", () => {
  it("5xx, timeouts and connection errors, but not a 508 that says the request loops", () => {
    const outcome = (status: number | null, error: "timeout" | "connect" | null = null) => ({
      status,
      error,
      latencyMs: 1,
    });
    expect(isFailure(outcome(503))).toBe(true);
    expect(isFailure(outcome(500))).toBe(true);
    expect(isFailure(outcome(null, "timeout"))).toBe(true);
    expect(isFailure(outcome(null, "connect"))).toBe(true);
    expect(isFailure(outcome(508))).toBe(false);
    expect(isFailure(outcome(404))).toBe(false);
  });
});
