import { describe, expect, it } from "vitest";
import type { Candidate } from "../../../worker/balancing/types.ts";
import {
  BALANCER_BUDGET_BYTES,
  forgetPoolBalancers,
  hashTableFor,
  poolBalancerStats,
} from "../../../worker/edge/pool-balancers.ts";
import { makePool } from "../health/fixtures.ts";

/** `count` hash pools of `perPool` origins. */
function hashPools(count: number, perPool: number) {
  return Array.from({ length: count }, (_, p) =>
    makePool({
      id: `evict-${p}`,
      algorithm: "hash",
      origins: Array.from({ length: perPool }, (_, o) => ({
        name: `o${o}`,
        address: `http://127.0.0.1:9000/p${p}/o${o}`,
      })),
    }),
  );
}

function candidatesOf(pool: ReturnType<typeof makePool>): Candidate[] {
  return pool.origins.map((origin, index) => ({
    name: origin.name,
    index,
    weight: origin.weight,
    inflight: 0,
    latencyMs: null,
  }));
}

describe("per-pool balancing structures under the byte budget", () => {
  it("drops the least recently used pools past the budget and rebuilds them with the same answers", () => {
    forgetPoolBalancers(new Set());
    // About 37 KiB counted each (16,411-slot table and 41 origins): 8 MiB holds about 220.
    const pools = hashPools(300, 41);
    const first = pools.map((pool) => hashTableFor(pool).home("10.0.0.7"));
    const full = poolBalancerStats();
    expect(full.bytes).toBeLessThanOrEqual(BALANCER_BUDGET_BYTES);
    expect(full.entries).toBeLessThan(300);
    expect(full.evictions).toBe(300 - full.entries);
    expect(full.rebuilds).toBe(0);

    // The first pools went first; asking them again rebuilds them, and a key keeps its origin.
    const again = pools.slice(0, 10).map((pool) => {
      const table = hashTableFor(pool);
      return table.pick({ candidates: candidatesOf(pool), key: "10.0.0.7", random: Math.random })?.name;
    });
    expect(again).toEqual(first.slice(0, 10));
    const after = poolBalancerStats();
    expect(after.rebuilds).toBe(10);
    expect(after.evictions).toBe(full.evictions + 10);
    expect(after.bytes).toBeLessThanOrEqual(BALANCER_BUDGET_BYTES);
  });

  it("keeps pools that were used recently, and forgets evicted pools that left the configuration", () => {
    forgetPoolBalancers(new Set());
    const pools = hashPools(300, 41);
    const hot = pools[0]!;
    const start = poolBalancerStats();
    for (const pool of pools) {
      hashTableFor(pool);
      hashTableFor(hot);
    }
    const stats = poolBalancerStats();
    expect(stats.evictions).toBeGreaterThan(start.evictions);
    expect(stats.rebuilds).toBe(start.rebuilds); // the hot pool was never dropped
    forgetPoolBalancers(new Set([hot.id]));
    expect(poolBalancerStats().entries).toBe(1);
    hashTableFor(pools[1]!);
    expect(poolBalancerStats().rebuilds).toBe(start.rebuilds); // a pool back after removal is new
  });
});
