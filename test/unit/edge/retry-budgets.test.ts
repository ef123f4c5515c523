import { describe, expect, it } from "vitest";
import { RetriesSchema } from "../../../worker/config/schema.ts";
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
