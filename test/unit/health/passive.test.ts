import { describe, expect, it } from "vitest";
import {
  decayedEjections,
  ejectionDurationMs,
  ejectOutliers,
  isPassiveFailure,
  maxEjectable,
  mergeStreak,
} from "../../../worker/health/passive.ts";
import { applyTraffic, endEjection } from "../../../worker/health/record.ts";
import type { OriginRecord } from "../../../worker/health/types.ts";
import { makePool, recordsFor } from "./fixtures.ts";

const T0 = 1_700_000_000_000;
const failing = { inflight: 0, requests: 5, failures: 5, consecutiveFailures: 5 };

describe("ejection time", () => {
  it("grows with each ejection and stops growing at 10×", () => {
    const seconds = [1, 2, 3, 9, 10, 11, 50].map((n) => ejectionDurationMs(n, 30) / 1000);
    expect(seconds).toEqual([30, 60, 90, 270, 300, 300, 300]);
  });

  it("forgives one past ejection per two base ejection times in service", () => {
    const end = T0;
    expect(decayedEjections(3, end, 30, end + 59_999)).toBe(3);
    expect(decayedEjections(3, end, 30, end + 60_000)).toBe(2);
    expect(decayedEjections(3, end, 30, end + 180_000)).toBe(0);
    expect(decayedEjections(3, end, 30, end + 10 * 180_000)).toBe(0);
  });
});

describe("ejection cap", () => {
  it("allows the share of maxEjectionPercent, rounded down", () => {
    expect(maxEjectable(10, 50)).toBe(5);
    expect(maxEjectable(10, 25)).toBe(2);
    expect(maxEjectable(3, 100)).toBe(3);
  });

  it("honours the percentage in small pools: none of one at 50 %, one of two", () => {
    expect(maxEjectable(1, 50)).toBe(0);
    expect(maxEjectable(2, 50)).toBe(1);
    expect(maxEjectable(2, 10)).toBe(0);
  });

  it("allows none when the percentage is 0 or there are no origins", () => {
    expect(maxEjectable(4, 0)).toBe(0);
    expect(maxEjectable(0, 50)).toBe(0);
  });
});

describe("pool-wide failure streak", () => {
  it("extends the streak with a period of failures only", () => {
    expect(mergeStreak(3, { requests: 2, failures: 2, consecutiveFailures: 2 })).toBe(5);
  });

  it("restarts the streak at the trailing failures after a success", () => {
    expect(mergeStreak(4, { requests: 10, failures: 3, consecutiveFailures: 1 })).toBe(1);
    expect(mergeStreak(4, { requests: 10, failures: 0, consecutiveFailures: 0 })).toBe(0);
  });

  it("ignores a period without requests", () => {
    expect(mergeStreak(4, { requests: 0, failures: 0, consecutiveFailures: 0 })).toBe(4);
  });
});

describe("outlier ejection", () => {
  function fail(records: Map<string, OriginRecord>, name: string, now: number) {
    applyTraffic(records.get(name)!, failing, now);
  }

  it("ejects an origin once its streak reaches consecutiveFailures", () => {
    const pool = makePool({ passiveHealth: { consecutiveFailures: 5, ejectionSeconds: 30 } });
    const records = recordsFor(pool, T0);
    applyTraffic(records.get("a")!, { ...failing, requests: 4, failures: 4 }, T0);
    expect(ejectOutliers("web", pool.origins, records, pool.passiveHealth, T0)).toEqual([]);
    applyTraffic(records.get("a")!, { ...failing, requests: 1, failures: 1 }, T0);
    const events = ejectOutliers("web", pool.origins, records, pool.passiveHealth, T0);
    expect(events.map((e) => [e.kind, e.subject])).toEqual([["origin_ejected", "web/a"]]);
    expect(records.get("a")!.ejectedUntil).toBe(T0 + 30_000);
    expect(records.get("a")!.healthySince).toBeNull();
  });

  it("ejects for longer on each repeat, capped at 10×", () => {
    const pool = makePool({ passiveHealth: { consecutiveFailures: 5, ejectionSeconds: 30 } });
    const records = recordsFor(pool, T0);
    const durations: number[] = [];
    let now = T0;
    for (let i = 0; i < 12; i++) {
      fail(records, "a", now);
      ejectOutliers("web", pool.origins, records, pool.passiveHealth, now);
      const until = records.get("a")!.ejectedUntil!;
      durations.push((until - now) / 1000);
      now = until;
      endEjection("web", records.get("a")!, now);
    }
    expect(durations).toEqual([30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 300, 300]);
  });

  it("starts over after a long healthy period", () => {
    const pool = makePool({ passiveHealth: { consecutiveFailures: 5, ejectionSeconds: 30 } });
    const records = recordsFor(pool, T0);
    let now = T0;
    for (let i = 0; i < 3; i++) {
      fail(records, "a", now);
      ejectOutliers("web", pool.origins, records, pool.passiveHealth, now);
      now = records.get("a")!.ejectedUntil!;
      endEjection("web", records.get("a")!, now);
    }
    now += 60 * 60_000;
    fail(records, "a", now);
    ejectOutliers("web", pool.origins, records, pool.passiveHealth, now);
    expect(records.get("a")!.ejectedUntil! - now).toBe(30_000);
  });

  it("never ejects more than maxEjectionPercent of the enabled origins at once", () => {
    const origins = ["a", "b", "c", "d"].map((name, i) => ({
      name,
      address: `http://127.0.0.1:${9001 + i}`,
    }));
    const pool = makePool({ origins, passiveHealth: { maxEjectionPercent: 50, ejectionSeconds: 30 } });
    const records = recordsFor(pool, T0);
    for (const name of ["a", "b", "c", "d"]) fail(records, name, T0);
    const events = ejectOutliers("web", pool.origins, records, pool.passiveHealth, T0);
    expect(events.map((e) => e.origin)).toEqual(["a", "b"]);
    expect(ejectOutliers("web", pool.origins, records, pool.passiveHealth, T0 + 1000)).toEqual([]);
    const later = T0 + 30_000;
    endEjection("web", records.get("a")!, later);
    endEjection("web", records.get("b")!, later);
    const next = ejectOutliers("web", pool.origins, records, pool.passiveHealth, later);
    expect(next.map((e) => e.origin)).toEqual(["c", "d"]);
  });

  it("never ejects the last usable origin of a pool, whatever the cap", () => {
    const pool = makePool({
      origins: [{ name: "solo", address: "http://127.0.0.1:9001" }],
      passiveHealth: { maxEjectionPercent: 100 },
    });
    const records = recordsFor(pool, T0);
    fail(records, "solo", T0);
    expect(ejectOutliers("web", pool.origins, records, pool.passiveHealth, T0)).toEqual([]);
    const pair = makePool({
      origins: [
        { name: "a", address: "http://127.0.0.1:9001" },
        { name: "b", address: "http://127.0.0.1:9002" },
      ],
      passiveHealth: { maxEjectionPercent: 100 },
    });
    const both = recordsFor(pair, T0);
    both.get("b")!.check = "unhealthy";
    fail(both, "a", T0);
    expect(ejectOutliers("web", pair.origins, both, pair.passiveHealth, T0)).toEqual([]);
  });

  it("counts as failures what failOn names: gateway errors by default, every 5xx on request", () => {
    const gateway = [502, 503, 504].map((status) => isPassiveFailure({ status, error: null }, "gateway"));
    expect(gateway).toEqual([true, true, true]);
    expect(isPassiveFailure({ status: 500, error: null }, "gateway")).toBe(false);
    expect(isPassiveFailure({ status: 500, error: null }, "5xx")).toBe(true);
    expect(isPassiveFailure({ status: 508, error: null }, "5xx")).toBe(false);
    expect(isPassiveFailure({ status: null, error: "timeout" }, "gateway")).toBe(true);
    expect(isPassiveFailure({ status: null, error: "connect" }, "gateway")).toBe(true);
    expect(isPassiveFailure({ status: null, error: "client" }, "5xx")).toBe(false);
  });

  it("ejects nothing when passive checks are off or the cap is 0", () => {
    for (const passiveHealth of [{ enabled: false }, { maxEjectionPercent: 0 }]) {
      const pool = makePool({ passiveHealth });
      const records = recordsFor(pool, T0);
      fail(records, "a", T0);
      expect(ejectOutliers("web", pool.origins, records, pool.passiveHealth, T0)).toEqual([]);
    }
  });

  it("does not eject a disabled origin nor count it in the cap", () => {
    const pool = makePool({
      origins: [
        { name: "a", address: "http://127.0.0.1:9001", enabled: false },
        { name: "b", address: "http://127.0.0.1:9002" },
        { name: "c", address: "http://127.0.0.1:9003" },
      ],
      passiveHealth: { maxEjectionPercent: 50 },
    });
    const records = recordsFor(pool, T0);
    for (const name of ["a", "b", "c"]) fail(records, name, T0);
    expect(ejectOutliers("web", pool.origins, records, pool.passiveHealth, T0).map((e) => e.origin)).toEqual([
      "b",
    ]);
  });

  it("ignores traffic reported for an origin while it is ejected", () => {
    const pool = makePool();
    const records = recordsFor(pool, T0);
    fail(records, "a", T0);
    ejectOutliers("web", pool.origins, records, pool.passiveHealth, T0);
    fail(records, "a", T0 + 1000);
    expect(records.get("a")!.passiveStreak).toBe(0);
  });
});
