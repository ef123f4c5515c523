import { describe, expect, it } from "vitest";
import type { HealthEvent, PoolSnapshot } from "../../../worker/health/types.ts";
import { countHealthEvents, poolGauges } from "../../../worker/metrics/pool-series.ts";
import {
  accessLogLine,
  analyticsPoint,
  parseSampleRate,
  type RequestEvent,
  sampled,
} from "../../../worker/metrics/request-event.ts";
import { SeriesSet } from "../../../worker/metrics/series.ts";

const EVENT: RequestEvent = {
  requestId: "req-1",
  loadBalancer: "www",
  pool: "web",
  origin: "a",
  method: "GET",
  status: 502,
  attempts: 2,
  durationMs: 41,
  clientIp: "203.0.113.9",
  country: null,
  rule: null,
};

describe("request log and analytics", () => {
  it("reads the sample rate as a share from 0 to 1, anything else as 0", () => {
    expect(parseSampleRate("0.25")).toBe(0.25);
    expect(parseSampleRate(1)).toBe(1);
    expect(parseSampleRate("3")).toBe(1);
    for (const value of [undefined, "", " ", "abc", "-1", "NaN", "Infinity", null]) {
      expect(parseSampleRate(value)).toBe(0);
    }
  });

  it("logs every request at rate 1, none at 0, and a draw below the rate otherwise", () => {
    expect(sampled(1, () => 0.999)).toBe(true);
    expect(sampled(0, () => 0)).toBe(false);
    expect(sampled(0.1, () => 0.05)).toBe(true);
    expect(sampled(0.1, () => 0.1)).toBe(false);
  });

  it("writes one JSON line per request with the fields operators search by", () => {
    const line = accessLogLine(EVENT, Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(line).not.toContain("\n");
    expect(JSON.parse(line)).toEqual({
      event: "request",
      at: "2026-01-02T03:04:05.000Z",
      requestId: "req-1",
      loadBalancer: "www",
      pool: "web",
      origin: "a",
      method: "GET",
      status: 502,
      attempts: 2,
      ms: 41,
      clientIp: "203.0.113.9",
      country: null,
      rule: null,
    });
    const answered = { ...EVENT, pool: null, origin: null, status: 503, attempts: 0, rule: "maintenance" };
    expect(JSON.parse(accessLogLine(answered, 0))).toMatchObject({
      pool: null,
      origin: null,
      status: 503,
      attempts: 0,
      rule: "maintenance",
    });
  });

  it("lays out the Analytics Engine data point as documented", () => {
    expect(analyticsPoint(EVENT)).toEqual({
      indexes: ["www"],
      blobs: ["www", "web", "a", "5xx", "", ""],
      doubles: [502, 41, 2],
    });
    expect(analyticsPoint({ ...EVENT, pool: null, origin: null, status: 503, country: "DE" }).blobs).toEqual([
      "www",
      "",
      "",
      "5xx",
      "DE",
      "",
    ]);
    // A rule's answer names the rule in the sixth blob; the first five keep their places.
    const answered = { ...EVENT, pool: null, origin: null, status: 301, attempts: 0, rule: "moved" };
    expect(analyticsPoint(answered)).toEqual({
      indexes: ["www"],
      blobs: ["www", "", "", "3xx", "", "moved"],
      doubles: [301, 41, 0],
    });
  });
});

describe("series a PoolState derives itself", () => {
  const event = (kind: HealthEvent["kind"], origin: string | null): HealthEvent => ({
    at: 1,
    kind,
    subject: origin ? `web/${origin}` : "web",
    message: "",
    pool: "web",
    origin,
  });

  it("counts ejections, active-check transitions and pools turning unhealthy", () => {
    const set = new SeriesSet();
    const counted = countHealthEvents(set, [
      event("origin_ejected", "a"),
      event("origin_ejected", "a"),
      event("origin_returned", "a"),
      event("origin_unhealthy", "b"),
      event("pool_unhealthy", null),
      event("pool_healthy", null),
    ]);
    expect(counted).toBe(true);
    expect(set.counter("edge_lb_origin_ejections_total", { pool: "web", origin: "a" })).toBe(2);
    expect(
      set.counter("edge_lb_origin_health_transitions_total", { pool: "web", origin: "b", to: "unhealthy" }),
    ).toBe(1);
    expect(set.counter("edge_lb_pool_failovers_total", { pool: "web" })).toBe(1);
    expect(set.size).toBe(3);
    expect(countHealthEvents(new SeriesSet(), [event("pool_healthy", null)])).toBe(false);
  });

  it("reads gauges off the snapshot: health, state (one of six is 1) and in-flight", () => {
    const origin = (name: string, state: "healthy" | "ejected", inflight: number) => ({
      name,
      state,
      healthy: state === "healthy",
      check: "unknown" as const,
      healthySince: null,
      ejectedUntil: null,
      inflight,
      latencyMs: null,
      lastCheckAt: null,
      lastError: null,
      consecutiveFailures: 0,
      target: "http://127.0.0.1:1",
      passingSince: null,
    });
    const snapshot: PoolSnapshot = {
      pool: "web",
      version: 1,
      healthy: true,
      healthyOrigins: 1,
      origins: { a: origin("a", "healthy", 3), b: origin("b", "ejected", 0) },
      at: 1,
    };
    const gauges = poolGauges(snapshot, ["b", "a", "gone"]);
    const value = (name: string, labels: Record<string, string>) =>
      gauges.find((g) => g.name === name && Object.entries(labels).every(([k, v]) => g.labels[k] === v))
        ?.value;
    expect(value("edge_lb_pool_healthy", { pool: "web" })).toBe(1);
    expect(value("edge_lb_pool_healthy_origins", { pool: "web" })).toBe(1);
    expect(value("edge_lb_origin_healthy", { origin: "b" })).toBe(0);
    expect(value("edge_lb_origin_inflight", { origin: "a" })).toBe(3);
    expect(value("edge_lb_origin_state", { origin: "b", state: "ejected" })).toBe(1);
    expect(value("edge_lb_origin_state", { origin: "b", state: "healthy" })).toBe(0);
    expect(gauges.filter((g) => g.name === "edge_lb_origin_state" && g.labels.origin === "a")).toHaveLength(
      6,
    );
    expect(gauges.some((g) => g.labels.origin === "gone")).toBe(false);
  });
});
