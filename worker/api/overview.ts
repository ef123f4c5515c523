/**
 * `GET /overview`: everything the dashboard shows in one answer (every load balancer with the pool it
 * serves from and why, every pool with its origins' health), built from the snapshots this edge
 * already holds instead of one Durable Object call per pool. A snapshot older than
 * `OVERVIEW_MAX_AGE_MS` (or missing) is read again, at most `OVERVIEW_READ_CAP` of them per request,
 * the oldest first and through the location's cache; the others are answered as they are, marked
 * `stale` with their age. So a request costs a bounded number of calls (subrequests) however many
 * pools the configuration has, and none while the edge's own traffic keeps the snapshots fresh.
 */
import { z } from "zod";
import type { ConfigSnapshot, LoadBalancer, Pool } from "../config/schema.ts";
import { configAgeMs, getConfig } from "../edge/config-cache.ts";
import { peekPoolSnapshot, poolSnapshotAgeMs, readStaleSnapshots } from "../edge/pool-state-cache.ts";
import type { Env } from "../env.ts";
import { buildSnapshot, toPoolHealth } from "../health/pool-health.ts";
import { PoolHealthSchema, type PoolSnapshot } from "../health/types.ts";
import { type Status, statusFrom } from "./status.ts";

/** A pool snapshot older than this is read again (if the cap allows), else marked stale. */
export const OVERVIEW_MAX_AGE_MS = 5000;
/**
 * Pool snapshots read per request at most. Each read costs at most one Durable Object call and five
 * Cache API operations, so a request stays under 50 subrequests (the Free plan's limit; Paid allows
 * 1,000) with the configuration's own read.
 */
export const OVERVIEW_READ_CAP = 6;

const OverviewOriginSchema = z.object({
  name: z.string(),
  address: z.string(),
  weight: z.number(),
  enabled: z.boolean(),
  backup: z.boolean(),
});

const OverviewPoolSchema = z.object({
  id: z.string(),
  enabled: z.boolean(),
  algorithm: z.string(),
  version: z.number().int(),
  origins: z.array(OverviewOriginSchema).meta({ description: "As configured (no headers)." }),
  health: PoolHealthSchema.meta({
    description:
      "The body `GET /pools/{id}/health` gives, computed from this edge's snapshot of the pool; every origin `unknown` or `healthy` (as configured) while the pool's state was never read.",
  }),
  ageMs: z.number().int().nullable().meta({
    description: "How old the pool's snapshot is (ms since its PoolState answered); null: never read.",
  }),
  stale: z.boolean().meta({
    description: `Older than ${OVERVIEW_MAX_AGE_MS} ms and not read again by this request (over its cap of ${OVERVIEW_READ_CAP} reads, or the PoolState is backing off).`,
  }),
});

export const OverviewSchema = z
  .object({
    generatedAt: z.string().meta({ description: "ISO 8601." }),
    configVersion: z.number().int(),
    configAgeMs: z.number().int().nullable().meta({ description: "Age of this edge's configuration." }),
    loadBalancers: z.array(z.record(z.string(), z.unknown())).meta({
      description:
        "Each load balancer as `GET /status` gives it, with its traffic settings (splitOn, poolWeights, poolOverrideHeader, rules, mirror) and its sessionAffinity type and drainSeconds.",
    }),
    pools: z.array(OverviewPoolSchema),
    reads: z.object({
      maxAgeMs: z.number().int(),
      cap: z.number().int(),
      read: z.number().int().meta({ description: "Pool snapshots this request read again." }),
      stale: z.number().int().meta({ description: "Pools answered from a snapshot older than maxAgeMs." }),
    }),
  })
  .meta({
    description:
      "The dashboard's view in one answer, from this edge's pool snapshots: a bounded number of Durable Object calls per request, whatever the number of pools.",
  });
export type Overview = z.output<typeof OverviewSchema>;
export type OverviewPool = z.output<typeof OverviewPoolSchema>;

/**
 * The overview as this edge sees it now.
 * @example const overview = await readOverview(env, ctx);
 */
export async function readOverview(env: Env, ctx: Pick<ExecutionContext, "waitUntil">): Promise<Overview> {
  const config = await getConfig(env, ctx);
  const started = Date.now();
  const reads = await readStaleSnapshots(env, config.pools, OVERVIEW_MAX_AGE_MS, OVERVIEW_READ_CAP, started);
  const now = Date.now();
  const left = new Set(reads.left);
  const snapshots = new Map<string, PoolSnapshot>();
  for (const pool of config.pools) {
    const snapshot = peekPoolSnapshot(pool.id);
    if (snapshot) snapshots.set(pool.id, snapshot);
  }
  const status = statusFrom(config, snapshots, now);
  const pools = config.pools.map((pool) => poolOf(config, pool, snapshots.get(pool.id) ?? null, left, now));
  return {
    generatedAt: new Date(now).toISOString(),
    configVersion: config.version,
    configAgeMs: roundOrNull(configAgeMs(now)),
    loadBalancers: loadBalancersOf(config, status),
    pools,
    reads: {
      maxAgeMs: OVERVIEW_MAX_AGE_MS,
      cap: OVERVIEW_READ_CAP,
      read: reads.read,
      stale: pools.filter((pool) => pool.stale).length,
    },
  };
}

function poolOf(
  config: ConfigSnapshot,
  pool: Pool,
  snapshot: PoolSnapshot | null,
  left: ReadonlySet<string>,
  now: number,
): OverviewPool {
  const names = pool.origins.map((origin) => origin.name);
  const current = snapshot !== null && snapshot.version >= pool.version ? snapshot : null;
  // Never read, or its PoolState does not know the pool yet: what `GET /pools/{id}/health` says then.
  const health = current
    ? toPoolHealth(current, names, { drainSeconds: drainSecondsFor(config.loadBalancers, pool.id), now })
    : toPoolHealth(buildSnapshot(pool, new Map(), new Map(), now), names);
  return {
    id: pool.id,
    enabled: pool.enabled,
    algorithm: pool.algorithm,
    version: pool.version,
    origins: pool.origins.map((origin) => ({
      name: origin.name,
      address: origin.address,
      weight: origin.weight,
      enabled: origin.enabled,
      backup: origin.backup,
    })),
    health,
    ageMs: roundOrNull(poolSnapshotAgeMs(pool.id, now)),
    stale: left.has(pool.id),
  };
}

/** Status items with the traffic settings the dashboard describes (load balancers hold no secrets). */
function loadBalancersOf(config: ConfigSnapshot, status: Status): Record<string, unknown>[] {
  const byId = new Map(config.loadBalancers.map((lb) => [lb.id, lb]));
  return status.items.map((item) => {
    const lb = byId.get(item.id) as LoadBalancer;
    return {
      ...item,
      splitOn: lb.splitOn,
      poolWeights: lb.poolWeights,
      poolOverrideHeader: lb.poolOverrideHeader,
      rules: lb.rules,
      mirror: lb.mirror,
      sessionAffinity: { type: lb.sessionAffinity.type, drainSeconds: lb.sessionAffinity.drainSeconds },
    };
  });
}

/**
 * The longest `sessionAffinity.drainSeconds` of the load balancers that use the pool (0 without):
 * how long clients pinned to a drained origin may still reach it.
 * @example drainSecondsFor(config.loadBalancers, "web") === 300
 */
export function drainSecondsFor(loadBalancers: readonly LoadBalancer[], poolId: string): number {
  let seconds = 0;
  for (const loadBalancer of loadBalancers) {
    if (loadBalancer.sessionAffinity.type === "none") continue;
    const uses = loadBalancer.pools.includes(poolId) || loadBalancer.fallbackPool === poolId;
    if (uses) seconds = Math.max(seconds, loadBalancer.sessionAffinity.drainSeconds);
  }
  return seconds;
}

function roundOrNull(ms: number | null): number | null {
  return ms === null ? null : Math.max(0, Math.round(ms));
}
