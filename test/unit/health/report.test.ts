import { describe, expect, it } from "vitest";
import { INFLIGHT_STALE_MS, InflightTable } from "../../../worker/health/inflight.ts";
import { normalizeReport } from "../../../worker/health/report.ts";
import type { HealthReport } from "../../../worker/health/types.ts";

const T0 = 1_700_000_000_000;

describe("in-flight sums", () => {
  it("sums the fresh reports of all isolates", () => {
    const table = new InflightTable();
    table.record("i1", 1, { a: 2, b: 1 }, T0);
    table.record("i2", 1, { a: 3 }, T0 + 1000);
    expect(table.totals(T0 + 1000)).toEqual(
      new Map([
        ["a", 5],
        ["b", 1],
      ]),
    );
  });

  it("drops an isolate that has been silent too long", () => {
    const table = new InflightTable();
    table.record("i1", 1, { a: 2 }, T0);
    table.record("i2", 1, { a: 3 }, T0 + 4000);
    expect(table.totals(T0 + INFLIGHT_STALE_MS + 1).get("a")).toBe(3);
  });

  it("replaces an isolate's figures with its newer report", () => {
    const table = new InflightTable();
    table.record("i1", 1, { a: 2, b: 4 }, T0);
    table.record("i1", 2, { a: 1 }, T0 + 100);
    expect(table.totals(T0 + 100)).toEqual(new Map([["a", 1]]));
  });

  it("ignores a report that arrives after a newer one", () => {
    const table = new InflightTable();
    expect(table.record("i1", 2, { a: 1 }, T0)).toBe(true);
    expect(table.record("i1", 1, { a: 9 }, T0 + 100)).toBe(false);
    expect(table.totals(T0 + 100).get("a")).toBe(1);
  });
});

describe("report reading", () => {
  const known = (name: string) => name === "a" || name === "b";

  it("keeps known origins with sane figures", () => {
    const report = normalizeReport(
      {
        isolateId: "i1",
        sentAt: T0,
        origins: {
          a: { inflight: 2, requests: 10, failures: 12, consecutiveFailures: 3, latencyMsAvg: 40 },
          ghost: { inflight: 1, requests: 1, failures: 0, consecutiveFailures: 0 },
        },
      },
      known,
    );
    expect(report?.origins).toEqual(
      new Map([["a", { inflight: 2, requests: 10, failures: 10, consecutiveFailures: 3, latencyMsAvg: 40 }]]),
    );
  });

  it("turns negative, fractional and non-numeric figures into sane counts", () => {
    const batch = {
      isolateId: "i1",
      sentAt: T0,
      origins: {
        a: { inflight: -3, requests: 2.7, failures: "x", consecutiveFailures: Number.NaN, latencyMsAvg: -1 },
      },
    } as unknown as HealthReport;
    expect(normalizeReport(batch, known)?.origins.get("a")).toEqual({
      inflight: 0,
      requests: 2,
      failures: 0,
      consecutiveFailures: 0,
    });
  });

  it("rejects a report without an isolate or a send time", () => {
    expect(normalizeReport({ isolateId: "", sentAt: T0, origins: {} }, known)).toBeNull();
    expect(normalizeReport({ isolateId: "i", sentAt: Number.NaN, origins: {} }, known)).toBeNull();
    expect(normalizeReport(null as unknown as HealthReport, known)).toBeNull();
  });
});
