import { describe, expect, it } from "vitest";
import {
  AGGREGATE_OFF_BELOW,
  AGGREGATE_ON_ABOVE,
  aggregationSetting,
  nextAggregated,
} from "../../../worker/health/aggregation-mode.ts";
import { INFLIGHT_STALE_MS, InflightTable } from "../../../worker/health/inflight.ts";
import { normalizeReport } from "../../../worker/health/report.ts";

const T0 = 1_700_000_000_000;

describe("the REPORT_AGGREGATION setting", () => {
  it("reads region and off as overrides, anything else as auto", () => {
    expect(aggregationSetting("region")).toBe("region");
    expect(aggregationSetting("off")).toBe("off");
    expect(aggregationSetting("auto")).toBe("auto");
    expect(aggregationSetting(undefined)).toBe("auto");
    expect(aggregationSetting("REGION")).toBe("auto");
  });

  it("overrides the count both ways", () => {
    expect(nextAggregated("region", false, 0)).toBe(true);
    expect(nextAggregated("off", true, 100_000)).toBe(false);
  });
});

describe("automatic aggregation", () => {
  it("turns on above 500 reporting isolates and off below 300, not in between", () => {
    expect([AGGREGATE_ON_ABOVE, AGGREGATE_OFF_BELOW]).toEqual([500, 300]);
    const counts = [0, 400, 500, 501, 450, 300, 299, 400, 501];
    const states: boolean[] = [];
    let aggregated = false;
    for (const count of counts) {
      aggregated = nextAggregated("auto", aggregated, count);
      states.push(aggregated);
    }
    expect(states).toEqual([false, false, false, true, true, true, false, false, true]);
  });

  it("does not flap when the count wanders within the band", () => {
    let aggregated = nextAggregated("auto", false, 600);
    let flips = 0;
    for (let i = 0; i < 1000; i++) {
      const next = nextAggregated("auto", aggregated, 300 + ((i * 37) % 201));
      if (next !== aggregated) flips++;
      aggregated = next;
    }
    expect(flips).toBe(0);
    expect(aggregated).toBe(true);
  });
});

describe("the isolates a PoolState hears from", () => {
  it("counts each fresh isolate once and an aggregator for the isolates it speaks for", () => {
    const table = new InflightTable();
    table.record("i1", 1, { a: 1 }, T0);
    table.record("i1", 2, { a: 2 }, T0 + 10);
    table.record("i2", 1, {}, T0 + 20);
    table.record("aggregator:x", 1, { a: 7 }, T0 + 30, 240);
    expect(table.isolates(T0 + 30)).toBe(242);
    expect(table.isolates(T0 + 20 + INFLIGHT_STALE_MS + 1)).toBe(240);
    expect(table.isolates(T0 + 30 + INFLIGHT_STALE_MS + 1)).toBe(0);
  });

  it("reads an aggregator's count from its report, at least 1", () => {
    const known = () => true;
    const base = { isolateId: "aggregator:x", sentAt: 1, origins: {} };
    expect(normalizeReport({ ...base, isolates: 240 }, known)?.isolates).toBe(240);
    expect(normalizeReport(base, known)?.isolates).toBe(1);
    expect(normalizeReport({ ...base, isolates: -3 }, known)?.isolates).toBe(1);
    expect(normalizeReport({ ...base, isolates: Number.NaN }, known)?.isolates).toBe(1);
  });
});
