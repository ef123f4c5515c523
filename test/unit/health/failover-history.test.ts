import { describe, expect, it } from "vitest";
import {
  type LoadBalancer,
  type LoadBalancerInput,
  LoadBalancerSchema,
} from "../../../worker/config/schema.ts";
import { failoverHistory } from "../../../worker/health/failover-history.ts";
import type { HealthEvent, PoolTimeline } from "../../../worker/health/types.ts";

const T0 = 1_700_000_000_000;

function lb(input: Partial<LoadBalancerInput> = {}): LoadBalancer {
  return {
    ...LoadBalancerSchema.parse({ id: "www", hostname: "www.test", pools: ["p", "s"], ...input }),
    version: 1,
  };
}

function flip(pool: string, healthy: boolean, at: number): HealthEvent {
  return {
    at,
    kind: healthy ? "pool_healthy" : "pool_unhealthy",
    subject: pool,
    message: `pool ${pool} is ${healthy ? "healthy" : "unhealthy"}`,
    pool,
    origin: null,
  };
}

/** Timelines from transitions given oldest first (the DO lists them newest first). */
function timelines(current: Record<string, boolean>, ...events: HealthEvent[]): Map<string, PoolTimeline> {
  const map = new Map<string, PoolTimeline>();
  for (const [pool, healthy] of Object.entries(current)) {
    const own = events.filter((e) => e.pool === pool).reverse();
    map.set(pool, { pool, healthy, events: own });
  }
  return map;
}

describe("failover history", () => {
  it("records one failover and one fail-back for an outage of the primary pool", () => {
    const history = failoverHistory(
      [lb()],
      timelines({ p: true, s: true }, flip("p", false, T0), flip("p", true, T0 + 5000)),
    );
    expect(history.map((e) => [e.at, e.kind, e.subject])).toEqual([
      [T0, "failover", "load_balancer/www"],
      [T0 + 5000, "failback", "load_balancer/www"],
    ]);
    expect(history[0]!.message).toBe(
      "load balancer www fails over from pool p to pool s: pool p is unhealthy",
    );
  });

  it("ignores transitions that do not change the serving pool", () => {
    const history = failoverHistory(
      [lb()],
      timelines({ p: true, s: true }, flip("s", false, T0), flip("s", true, T0 + 1)),
    );
    expect(history).toEqual([]);
  });

  it("moves to the fallback pool, then to none, and back", () => {
    const history = failoverHistory(
      [lb({ pools: ["p"], fallbackPool: "f" }), lb({ id: "bare", pools: ["p"] })],
      timelines({ p: true, f: true }, flip("p", false, T0), flip("p", true, T0 + 10)),
    );
    expect(history.map((e) => `${e.subject} ${e.kind} ${e.message.split(":")[0]}`)).toEqual([
      "load_balancer/www failover load balancer www fails over from pool p to fallback pool f",
      "load_balancer/bare failover load balancer bare fails over from pool p to no pool (requests get 503)",
      "load_balancer/www failback load balancer www fails back from fallback pool f to pool p",
      "load_balancer/bare failback load balancer bare fails back from no pool (requests get 503) to pool p",
    ]);
  });

  it("reconstructs the state before the oldest transition it knows", () => {
    // s went down before p did; the first known event of s is its recovery.
    const history = failoverHistory(
      [lb()],
      timelines({ p: false, s: true }, flip("p", false, T0), flip("s", true, T0 + 10)),
    );
    expect(history.map((e) => e.message.split(":")[0])).toEqual([
      "load balancer www fails over from pool p to no pool (requests get 503)",
      "load balancer www fails back from no pool (requests get 503) to pool s",
    ]);
  });

  it("leaves out what happened before a truncated timeline begins", () => {
    const map = timelines(
      { p: true, s: true },
      flip("p", false, T0),
      flip("p", true, T0 + 10),
      flip("s", false, T0 + 20),
    );
    // Only the newest transition of s is known: p's older flips cannot be judged against it.
    const history = failoverHistory([lb()], map, new Set(["p"]));
    expect(history).toEqual([]);
  });

  it("treats other steering as a set of serving pools", () => {
    const history = failoverHistory(
      [lb({ steering: "random" })],
      timelines({ p: true, s: true }, flip("s", false, T0), flip("s", true, T0 + 10)),
    );
    expect(history.map((e) => [e.kind, e.message.split(":")[0]])).toEqual([
      ["failover", "load balancer www fails over from pools p, s to pool p"],
      ["failback", "load balancer www fails back from pool p to pools p, s"],
    ]);
  });

  it("says nothing for a disabled load balancer", () => {
    expect(
      failoverHistory([lb({ enabled: false })], timelines({ p: true, s: true }, flip("p", false, T0))),
    ).toEqual([]);
  });
});
