/**
 * What one isolate holds per configured object, inside workerd: the per-isolate caches follow the
 * configuration it serves (a deleted pool's state goes with it), and the balancing structures stay
 * within their byte budget with the largest configuration the limits allow, every load balancer
 * touched by a request. The heap itself is measured by `npm run bench -- memory` (docs/memory.md),
 * which checks these counts against the V8 heap.
 */
import { describe, expect, it } from "vitest";
import type { LoadBalancerInput, PoolInput } from "../../../worker/config/schema.ts";
import { peekConfig } from "../../../worker/edge/config-cache.ts";
import { isolateMemory } from "../../../worker/edge/isolate-memory.ts";
import { BALANCER_BUDGET_BYTES } from "../../../worker/edge/pool-balancers.ts";
import { installConfig, ORIGIN, send } from "../proxy/support.ts";

/** `count` pools of `perPool` origins, one load balancer each; odd pools hash, even ones pin by ip. */
function configOf(
  count: number,
  perPool: number,
): { pools: PoolInput[]; loadBalancers: LoadBalancerInput[] } {
  const pools: PoolInput[] = [];
  const loadBalancers: LoadBalancerInput[] = [];
  for (let p = 0; p < count; p++) {
    pools.push({
      id: `mem-${p}`,
      algorithm: p % 2 === 1 ? "hash" : "round_robin",
      healthCheck: { enabled: false },
      origins: Array.from({ length: perPool }, (_, o) => ({
        name: `o${o}`,
        address: `${ORIGIN}/p${p}/o${o}`,
      })),
    });
    loadBalancers.push({
      id: `mem-${p}`,
      hostname: `mem-${p}.memory.test`,
      pools: [`mem-${p}`],
      ...(p % 2 === 0 ? { sessionAffinity: { type: "ip" as const } } : {}),
    });
  }
  return { pools, loadBalancers };
}

async function touchEvery(count: number): Promise<void> {
  for (let p = 0; p < count; p++) {
    const response = await send(`http://mem-${p}.memory.test/`, {
      headers: { "cf-connecting-ip": `10.1.${p >> 8}.${p & 255}` },
    });
    expect(response.status).toBe(200);
    await response.body?.cancel();
  }
}

describe("per-isolate memory", () => {
  it("frees the state of deleted pools and load balancers in every per-isolate cache", async () => {
    const all = configOf(40, 4);
    installConfig(all.pools, all.loadBalancers);
    await touchEvery(40);
    const before = isolateMemory(peekConfig()!);
    expect(before.balancers).toBe(40);
    // One hash table per pool, shared by the hash algorithm (odd pools) and ip affinity (even ones).
    expect(before.hashTables).toBe(40);
    expect(before.retryBudgets).toBe(40);

    installConfig(all.pools.slice(0, 5), all.loadBalancers.slice(0, 5));
    const after = isolateMemory(peekConfig()!);
    expect(after.balancers).toBeLessThanOrEqual(5);
    expect(after.hashTables).toBeLessThanOrEqual(5);
    expect(after.poolSnapshots).toBeLessThanOrEqual(5);
    expect(after.countedOrigins).toBeLessThanOrEqual(5 * 4);
    expect(after.reportingPools).toBeLessThanOrEqual(5);
    expect(after.metricOrigins).toBeLessThanOrEqual(5 * 4);
    expect(after.retryBudgets).toBeLessThanOrEqual(5);
    expect(after.balancerBytes).toBeLessThan(before.balancerBytes / 4);
  });

  it("keeps the balancing structures of the largest configuration within their budget", async () => {
    // Beyond what the limits let through (docs/api.md: 1,000 pools and load balancers, 10,000 origins,
    // 1 MiB, which this document exceeds), installed in the isolate directly: the bound holds a fortiori.
    const largest = configOf(1000, 10);
    installConfig(largest.pools, largest.loadBalancers);
    await touchEvery(1000);
    const memory = isolateMemory(peekConfig()!);
    expect(memory.balancerBytes).toBeLessThanOrEqual(BALANCER_BUDGET_BYTES);
    expect(memory.hashTables).toBeGreaterThan(0);
    expect(memory.countedOrigins).toBeLessThanOrEqual(10_000);
    expect(memory.metricOrigins).toBeLessThanOrEqual(10_000);
  }, 300_000);
});
