import { describe, expect, it } from "vitest";
import { exceedsFailureRate, FAILURE_WINDOW_MS, FailureWindow } from "../../../worker/health/failure-rate.ts";
import { ejectOutliers } from "../../../worker/health/passive.ts";
import { makePool, recordsFor } from "./fixtures.ts";

const T0 = 1_700_000_000_000;

describe("failure rate over 10 s", () => {
  it("sums what the edges reported in the window and forgets what is older", () => {
    const window = new FailureWindow();
    window.add(T0, 10, 6);
    window.add(T0 + 4000, 10, 4);
    expect(window.totals(T0 + 5000)).toEqual({ requests: 20, failures: 10 });
    expect(window.totals(T0 + FAILURE_WINDOW_MS + 1000)).toEqual({ requests: 10, failures: 4 });
    expect(window.totals(T0 + 2 * FAILURE_WINDOW_MS)).toEqual({ requests: 0, failures: 0 });
  });

  it("judges only with minRequests, and only when the rule is on", () => {
    const on = { failureRatePercent: 50, minRequests: 20 };
    expect(exceedsFailureRate({ requests: 19, failures: 19 }, on)).toBe(false);
    expect(exceedsFailureRate({ requests: 20, failures: 10 }, on)).toBe(true);
    expect(exceedsFailureRate({ requests: 20, failures: 9 }, on)).toBe(false);
    expect(
      exceedsFailureRate({ requests: 100, failures: 100 }, { failureRatePercent: null, minRequests: 1 }),
    ).toBe(false);
  });

  it("ejects an origin failing every other request, which a streak never would", () => {
    const pool = makePool({
      origins: [
        { name: "a", address: "http://127.0.0.1:9001" },
        { name: "b", address: "http://127.0.0.1:9002" },
      ],
      passiveHealth: { consecutiveFailures: 5, failureRatePercent: 40, minRequests: 20 },
    });
    const records = recordsFor(pool, T0);
    const rates: Record<string, { requests: number; failures: number }> = {
      a: { requests: 40, failures: 20 },
      b: { requests: 40, failures: 2 },
    };
    const events = ejectOutliers(
      "web",
      pool.origins,
      records,
      pool.passiveHealth,
      T0,
      (name) => rates[name]!,
    );
    expect(events.map((event) => event.origin)).toEqual(["a"]);
    expect(events[0]!.message).toContain("20 of its 40 requests in the last 10 s failed");
  });
});
