/**
 * `GET /status`: every load balancer with the pool it serves from now and why. The decision is the
 * proxy's own (`choosePool` over the edge-view rules), fed with fresh PoolState snapshots and no
 * per-isolate observations, so it shows what every edge converges on within about a second.
 */
import type { ConfigSnapshot, LoadBalancer, Pool } from "../config/schema.ts";
import { countDoCall } from "../edge/do-calls.ts";
import type { Env } from "../env.ts";
import { type EdgeViewInput, fallbackCandidates, poolCandidates } from "../health/edge-view.ts";
import type { PoolSnapshot } from "../health/types.ts";
import { choosePool, type PoolConsidered } from "../routing/choose-pool.ts";
import { type SplitShare, splitShares } from "../routing/split-shares.ts";

/** PoolState DOs asked at once. */
const FANOUT = 6;

export interface LoadBalancerStatus {
  id: string;
  hostname: string;
  pathPrefix: string;
  enabled: boolean;
  steering: LoadBalancer["steering"];
  pools: string[];
  fallbackPool: string | null;
  /** The pool serving now; null when none can (requests get 503) or the load balancer is disabled. */
  pool: string | null;
  via: "steering" | "fallback" | "none" | "disabled";
  /** One sentence: why this pool. */
  reason: string;
  /** Why the steering policy ordered the pools as it did. */
  steeringReason: string | null;
  /** Every pool looked at, in order, with its verdict and reason (the routing trace). */
  considered: PoolConsidered[];
  /**
   * For `random` and `hash` steering, how the traffic divides among the pools that can serve now
   * (`pool` is then one draw of it); null for other steering or a disabled load balancer.
   */
  split: SplitShare[] | null;
}

export interface PoolStatus {
  id: string;
  enabled: boolean;
  healthy: boolean;
  healthyOrigins: number;
  origins: number;
  /** False when the pool's PoolState did not answer; health then counts every origin as healthy. */
  healthKnown: boolean;
}

export interface Status {
  items: LoadBalancerStatus[];
  pools: PoolStatus[];
}

/**
 * The status of every load balancer of `config`, sorted by id.
 * @example const status = await readStatus(env, await store.snapshot());
 */
export async function readStatus(env: Env, config: ConfigSnapshot): Promise<Status> {
  return statusFrom(config, await readSnapshots(env, config.pools), Date.now());
}

/**
 * The status of every load balancer of `config` from snapshots already at hand (a pool without one
 * counts every origin as healthy, `healthKnown: false`). Pure: the overview feeds it the edge's own.
 * @example const status = statusFrom(config, new Map([["web", snapshot]]), Date.now());
 */
export function statusFrom(
  config: ConfigSnapshot,
  snapshots: ReadonlyMap<string, PoolSnapshot>,
  now: number,
): Status {
  const pools = new Map(config.pools.map((pool) => [pool.id, pool]));
  const input = (pool: Pool): EdgeViewInput => ({
    pool,
    snapshot: snapshots.get(pool.id) ?? null,
    local: () => undefined,
    now,
  });
  const items = [...config.loadBalancers]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((lb) => statusOf(lb, pools, input));
  const poolStatus = [...config.pools]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((pool): PoolStatus => {
      const view = poolCandidates(input(pool));
      return {
        id: pool.id,
        enabled: pool.enabled,
        healthy: view.healthy,
        healthyOrigins: view.healthyOrigins,
        origins: pool.origins.length,
        healthKnown: snapshots.has(pool.id),
      };
    });
  return { items, pools: poolStatus };
}

function statusOf(
  lb: LoadBalancer,
  pools: ReadonlyMap<string, Pool>,
  input: (pool: Pool) => EdgeViewInput,
): LoadBalancerStatus {
  const base = {
    id: lb.id,
    hostname: lb.hostname,
    pathPrefix: lb.pathPrefix,
    enabled: lb.enabled,
    steering: lb.steering,
    pools: lb.pools,
    fallbackPool: lb.fallbackPool,
  };
  if (!lb.enabled) {
    return {
      ...base,
      pool: null,
      via: "disabled",
      reason: "load balancer is disabled",
      steeringReason: null,
      considered: [],
      split: null,
    };
  }
  // Why each pool cannot serve (null: it can), found once for both the choice and the split.
  const reasons = new Map<string, string | null>();
  const reasonOf = (pool: Pool): string | null => {
    if (!reasons.has(pool.id)) reasons.set(pool.id, poolCandidates(input(pool)).reason);
    return reasons.get(pool.id) ?? null;
  };
  const choice = choosePool({
    loadBalancer: lb,
    pools,
    steering: { random: Math.random },
    assess: (pool) => {
      const reason = reasonOf(pool);
      return reason === null ? { usable: true } : { usable: false, reason };
    },
  });
  const considered = [...choice.considered];
  let pool = choice.pool;
  let via: LoadBalancerStatus["via"] = choice.via === "fallback" ? "fallback" : "steering";
  if (pool && via === "fallback" && fallbackCandidates(input(pool)).length === 0) {
    considered[considered.length - 1] = {
      pool: pool.id,
      verdict: "skipped",
      reason: "fallback pool has no enabled origin with weight above 0",
    };
    pool = null;
  }
  if (!pool) via = "none";
  return {
    ...base,
    pool: pool?.id ?? null,
    via,
    reason: summarize(considered, pool),
    steeringReason: choice.steering,
    considered,
    split: splitShares(lb, (id) => {
      const candidate = pools.get(id);
      return candidate !== undefined && reasonOf(candidate) === null;
    }),
  };
}

function summarize(considered: readonly PoolConsidered[], pool: Pool | null): string {
  const skipped = considered
    .filter((step) => step.verdict === "skipped")
    .map((step) => `${step.pool}: ${step.reason}`);
  const chosen = considered.find((step) => step.verdict === "chosen");
  if (pool && chosen) {
    const why = `serving from ${pool.id} (${chosen.reason})`;
    return skipped.length > 0 ? `${why}; skipped ${skipped.join("; ")}` : why;
  }
  return `no pool can serve, requests get 503${skipped.length > 0 ? `: ${skipped.join("; ")}` : ""}`;
}

async function readSnapshots(env: Env, pools: readonly Pool[]): Promise<Map<string, PoolSnapshot>> {
  const snapshots = new Map<string, PoolSnapshot>();
  for (let start = 0; start < pools.length; start += FANOUT) {
    const batch = pools.slice(start, start + FANOUT);
    const results = await Promise.allSettled(
      batch.map((pool) => {
        countDoCall("admin");
        return env.POOL_STATE.getByName(pool.id).snapshot();
      }),
    );
    results.forEach((result, i) => {
      const id = batch[i]?.id ?? "";
      if (result.status === "fulfilled" && result.value) snapshots.set(id, result.value);
      else if (result.status === "rejected") {
        console.log(JSON.stringify({ event: "pool_status_failed", pool: id, error: String(result.reason) }));
      }
    });
  }
  return snapshots;
}
