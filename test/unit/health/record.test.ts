import { describe, expect, it } from "vitest";
import {
  applyProbe,
  applyTraffic,
  endEjection,
  newRecord,
  originTarget,
  type ProbeResult,
  resetCheck,
} from "../../../worker/health/record.ts";
import type { HealthEvent } from "../../../worker/health/types.ts";

const T0 = 1_700_000_000_000;
const thresholds = { healthyThreshold: 2, unhealthyThreshold: 2 };

function probe(ok: boolean, at: number): ProbeResult {
  return { name: "a", ok, error: ok ? null : "timeout after 5000 ms", latencyMs: ok ? 20 : null, at };
}

describe("origin record", () => {
  it("emits exactly one event per transition over a run of probes", () => {
    const record = newRecord("a", "http://a", T0);
    const events: HealthEvent[] = [];
    const sequence = [true, true, false, false, false, false, true, true, true];
    sequence.forEach((ok, i) => {
      const event = applyProbe("web", record, probe(ok, T0 + i * 1000), thresholds);
      if (event) events.push(event);
    });
    expect(events.map((e) => [e.kind, e.at - T0])).toEqual([
      ["origin_healthy", 0],
      ["origin_unhealthy", 3000],
      ["origin_healthy", 7000],
    ]);
    expect(events[1]).toMatchObject({
      subject: "web/a",
      pool: "web",
      origin: "a",
      message: "origin a is unhealthy after 2 failed checks: timeout after 5000 ms",
    });
  });

  it("keeps the in-service start of a new origin on its first verdict, restarts it on recovery", () => {
    const record = newRecord("a", "http://a", T0);
    applyProbe("web", record, probe(true, T0 + 500), thresholds);
    expect(record.healthySince).toBe(T0);
    applyProbe("web", record, probe(false, T0 + 1000), thresholds);
    applyProbe("web", record, probe(false, T0 + 2000), thresholds);
    expect(record.healthySince).toBeNull();
    applyProbe("web", record, probe(true, T0 + 3000), thresholds);
    applyProbe("web", record, probe(true, T0 + 4000), thresholds);
    expect(record.healthySince).toBe(T0 + 4000);
  });

  it("records the last check, error and latency", () => {
    const record = newRecord("a", "http://a", T0);
    applyProbe("web", record, probe(true, T0 + 1), thresholds);
    expect(record).toMatchObject({ lastCheckAt: T0 + 1, lastError: null, latencyMs: 20 });
    applyProbe("web", record, probe(false, T0 + 2), thresholds);
    expect(record).toMatchObject({ lastCheckAt: T0 + 2, lastError: "timeout after 5000 ms", latencyMs: 20 });
  });

  it("smooths latency reported by the edges", () => {
    const record = newRecord("a", "http://a", T0);
    applyTraffic(
      record,
      { inflight: 0, requests: 1, failures: 0, consecutiveFailures: 0, latencyMsAvg: 100 },
      T0,
    );
    applyTraffic(
      record,
      { inflight: 0, requests: 1, failures: 0, consecutiveFailures: 0, latencyMsAvg: 200 },
      T0,
    );
    expect(record.latencyMs).toBeCloseTo(120);
  });

  it("ends an ejection once, at the time it ran out, and puts the origin back in service", () => {
    const record = { ...newRecord("a", "http://a", T0), ejectedUntil: T0 + 30_000, healthySince: null };
    expect(endEjection("web", record, T0 + 29_999)).toBeNull();
    const event = endEjection("web", record, T0 + 45_000);
    expect(event).toMatchObject({ kind: "origin_returned", at: T0 + 30_000 });
    expect(record).toMatchObject({
      ejectedUntil: null,
      lastEjectionEnd: T0 + 30_000,
      healthySince: T0 + 30_000,
    });
    expect(endEjection("web", record, T0 + 50_000)).toBeNull();
  });

  it("ends an ejection at once when given a reason", () => {
    const record = { ...newRecord("a", "http://a", T0), ejectedUntil: T0 + 30_000 };
    expect(endEjection("web", record, T0 + 1000, "passive health checks turned off")?.message).toBe(
      "origin a is back in service: passive health checks turned off",
    );
  });

  it("returns a failed origin to service when checks are turned off", () => {
    const record = {
      ...newRecord("a", "http://a", T0),
      check: "unhealthy" as const,
      failures: 3,
      healthySince: null,
    };
    expect(resetCheck("web", record, T0 + 5)?.kind).toBe("origin_healthy");
    expect(record).toMatchObject({ check: "unknown", failures: 0, healthySince: T0 + 5, lastCheckAt: null });
    expect(resetCheck("web", record, T0 + 6)).toBeNull();
  });

  it("tells servers apart by address and host header", () => {
    const plain = originTarget({ address: "http://a", hostHeader: null });
    expect(originTarget({ address: "http://a", hostHeader: "x.example" })).not.toBe(plain);
    expect(originTarget({ address: "http://b", hostHeader: null })).not.toBe(plain);
  });
});
