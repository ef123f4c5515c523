import { describe, expect, it } from "vitest";
import { LoadBalancerSchema } from "../../../worker/config/schema.ts";
import type { HistoryPoint, PoolHistory } from "../../../worker/metrics/history.ts";
import {
  combinedEvents,
  combinedTotal,
  historyPools,
  LB_HISTORY_MAX_POOLS,
} from "../../../worker/metrics/lb-history.ts";

const T0 = Date.parse("2026-12-03T10:00:00Z");
const at = (minute: number) => new Date(T0 + minute * 60_000).toISOString();

function point(minute: number, requests: number, p95Ms: number | null, connect = 0): HistoryPoint {
  return {
    at: at(minute),
    requests,
    failures: { "5xx": 0, timeout: 0, connect },
    retries: 1,
    p50Ms: p95Ms,
    p95Ms,
    inflight: 0,
    state: "healthy",
  };
}

function history(pool: string, total: HistoryPoint[], events: PoolHistory["events"] = []): PoolHistory {
  return { pool, window: "1h", stepSeconds: 60, from: at(-59), to: at(1), total, origins: [], events };
}

function lb(input: Record<string, unknown>) {
  return { ...LoadBalancerSchema.parse({ id: "www", hostname: "www.test", ...input }), version: 1 };
}

describe("load balancer history", () => {
  it("reads pools, fallback, then rule and geo pools, never the mirror pool, bounded", () => {
    const rules = [{ name: "beta", when: { "header.x-beta": "1" }, then: { pools: ["beta", "web"] } }];
    const mirror = { pool: "shadow", percent: 10, methods: ["GET"] };
    expect(
      historyPools(
        lb({
          pools: ["web", "eu"],
          fallbackPool: "spare",
          rules,
          mirror,
          regionPools: { WEUR: ["eu", "x"] },
        }),
      ),
    ).toEqual({ read: ["web", "eu", "spare", "beta", "x"], notRead: [] });
    const many = Array.from({ length: 40 }, (_, i) => `p${i}`);
    const countryPools = Object.fromEntries(
      ["US", "DE"].map((code, c) => [code, many.slice(c * 20, c * 20 + 20)]),
    );
    const bounded = historyPools(lb({ pools: ["web"], fallbackPool: "spare", countryPools }));
    expect(bounded.read).toHaveLength(LB_HISTORY_MAX_POOLS);
    expect(bounded.read.slice(0, 2)).toEqual(["web", "spare"]);
    expect(bounded.notRead).toEqual(many.slice(LB_HISTORY_MAX_POOLS - 2));
  });

  it("sums requests, failures and retries per minute and keeps the highest p95 with its pool", () => {
    const total = combinedTotal([
      history("web", [point(0, 30, 50), point(1, 10, 100, 4)]),
      history("spare", [point(1, 5, 250), point(2, 2, null)]),
    ]);
    expect(total).toEqual([
      {
        at: at(0),
        requests: 30,
        failures: { "5xx": 0, timeout: 0, connect: 0 },
        retries: 1,
        p95Ms: 50,
        p95Pool: "web",
      },
      {
        at: at(1),
        requests: 15,
        failures: { "5xx": 0, timeout: 0, connect: 4 },
        retries: 2,
        p95Ms: 250,
        p95Pool: "spare",
      },
      {
        at: at(2),
        requests: 2,
        failures: { "5xx": 0, timeout: 0, connect: 0 },
        retries: 1,
        p95Ms: null,
        p95Pool: null,
      },
    ]);
  });

  it("merges the pools' events and derives the failover and failback they caused", () => {
    const down = {
      at: at(3),
      kind: "pool_unhealthy",
      origin: null,
      message: "pool web has no healthy origin",
    };
    const eject = { at: at(2), kind: "origin_ejected", origin: "a", message: "a ejected" };
    const up = { at: at(7), kind: "pool_healthy", origin: null, message: "pool web is healthy again" };
    const events = combinedEvents(
      lb({ pools: ["web", "spare"] }),
      [history("web", [point(0, 1, 5)], [eject, down, up]), history("spare", [point(0, 1, 5)])],
      T0,
    );
    expect(events.map((e) => [e.at, e.kind, e.pool])).toEqual([
      [at(2), "origin_ejected", "web"],
      [at(3), "pool_unhealthy", "web"],
      [at(3), "failover", null],
      [at(7), "pool_healthy", "web"],
      [at(7), "failback", null],
    ]);
    expect(events[2]?.message).toContain("fails over from pool web to pool spare");
  });
});
