/**
 * What this isolate holds per configured object, and the pruning that keeps it to the configuration
 * it serves: when a new configuration is indexed, every per-isolate cache drops the pools and load
 * balancers that left it. `isolateMemory()` counts the entries (GET /__lb/healthz shows them, the
 * memory bench checks them against a heap snapshot). docs/memory.md has the figures.
 */
import type { ConfigSnapshot } from "../config/schema.ts";
import { forgetMetricRefs } from "./metrics.ts";
import { forgetPoolsExcept } from "./outcomes.ts";
import { forgetPoolBalancers, poolBalancerStats } from "./pool-balancers.ts";
import { forgetPoolSnapshots } from "./pool-state-cache.ts";
import { forgetPoolReports } from "./reports.ts";
import { forgetRetryBudgets } from "./retry-budgets.ts";

export interface IsolateMemory {
  /** Pools with balancing structures held (balancer, hash table). */
  readonly balancers: number;
  /** Consistent-hash tables built (hash pools and key-based affinity share one per pool). */
  readonly hashTables: number;
  /** Bytes the balancing structures are counted at (bounded by BALANCER_BUDGET_BYTES). */
  readonly balancerBytes: number;
  /** Pools whose balancing structures the budget dropped, and those built again on demand. */
  readonly balancerEvictions: number;
  readonly balancerRebuilds: number;
  readonly poolSnapshots: number;
  readonly countedOrigins: number;
  readonly reportingPools: number;
  readonly metricOrigins: number;
  readonly retryBudgets: number;
}

/** Drops per-isolate state of pools and load balancers that are not in `snapshot`. */
export function forgetRemoved(snapshot: ConfigSnapshot): IsolateMemory {
  const poolIds = new Set<string>();
  for (const pool of snapshot.pools) poolIds.add(pool.id);
  const loadBalancerIds = new Set<string>();
  for (const lb of snapshot.loadBalancers) loadBalancerIds.add(lb.id);
  forgetPoolBalancers(poolIds);
  const balancers = poolBalancerStats();
  return {
    balancers: balancers.entries,
    hashTables: balancers.hashTables,
    balancerBytes: balancers.bytes,
    balancerEvictions: balancers.evictions,
    balancerRebuilds: balancers.rebuilds,
    poolSnapshots: forgetPoolSnapshots(poolIds),
    countedOrigins: forgetPoolsExcept(poolIds),
    reportingPools: forgetPoolReports(poolIds),
    metricOrigins: forgetMetricRefs(loadBalancerIds, poolIds),
    retryBudgets: forgetRetryBudgets(loadBalancerIds),
  };
}

/** The counts now, for the configuration `snapshot` this isolate serves (pruning as it counts). */
export function isolateMemory(snapshot: ConfigSnapshot): IsolateMemory {
  return forgetRemoved(snapshot);
}
