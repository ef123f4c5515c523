/**
 * The isolate's copy of each pool's PoolState snapshot (health, ejections, in-flight sums),
 * refreshed stale-while-revalidate.
 *
 * - Warm: a request never waits. A snapshot older than `SNAPSHOT_TTL_MS` (or computed for an older
 *   pool version) is refreshed in `waitUntil`; the request routes on the one it has, however old.
 *   Reports sent to the PoolState return a fresh snapshot too (reports.ts), so under traffic the
 *   refresh call is rarely needed.
 * - Cold (no snapshot of the pool yet): the first request waits for the PoolState at most
 *   `COLD_WAIT_MS`, once per pool per isolate, so a fresh isolate does not send its first requests
 *   to an origin that is known to be down; after that, or if the PoolState is slow, requests route
 *   without health information (every origin counts as healthy, as the PoolState itself assumes
 *   before a first verdict) while the refresh completes in the background.
 * - Fail static: a failed refresh keeps the last snapshot and backs off (250 ms doubling to 30 s,
 *   jittered); a PoolState that is slow or unreachable never fails a request.
 *
 * Module scope holds plain data only; no promise is shared between requests.
 */
import type { LoadBalancer, Pool } from "../config/schema.ts";
import type { Env } from "../env.ts";
import type { PoolSnapshot } from "../health/types.ts";
import { countDoCall } from "./do-calls.ts";

/** How old a snapshot may get before a request triggers a background refresh. */
export const SNAPSHOT_TTL_MS = 1000;
/** A snapshot computed for an older pool version is refreshed once it is this old. */
const VERSION_RECHECK_MS = 200;
/** How long the first request for a pool waits for its first snapshot. */
export const COLD_WAIT_MS = 300;
const MAX_BACKOFF_MS = 30_000;
/** A refresh still marked running after this long is taken as lost (its invocation ended). */
const LOST_REFRESH_MS = 10_000;

interface Entry {
  snapshot: PoolSnapshot | null;
  /** When this isolate last heard from the PoolState about the pool; 0 when never. */
  checkedAt: number;
  refreshingSince: number | null;
  failures: number;
  retryAt: number;
  /** Whether a request already waited for this pool's first snapshot. */
  waited: boolean;
}

const entries = new Map<string, Entry>();

/** Drops the snapshots of pools not in `poolIds`; returns how many this isolate still holds. */
export function forgetPoolSnapshots(poolIds: ReadonlySet<string>): number {
  for (const id of entries.keys()) if (!poolIds.has(id)) entries.delete(id);
  return entries.size;
}

/** The snapshot this isolate holds for a pool, without triggering anything; null when none. */
export function peekPoolSnapshot(poolId: string): PoolSnapshot | null {
  return entries.get(poolId)?.snapshot ?? null;
}

/** Age in ms of the last word from a pool's PoolState, or null when there was none. */
export function poolSnapshotAgeMs(poolId: string, now = Date.now()): number | null {
  const entry = entries.get(poolId);
  return entry && entry.checkedAt > 0 ? now - entry.checkedAt : null;
}

/**
 * Installs what a PoolState answered (a refresh or a report). A snapshot older than the one held is
 * ignored (answers may arrive out of order); null means the PoolState does not know the pool (yet).
 */
export function acceptPoolSnapshot(poolId: string, snapshot: PoolSnapshot | null, now: number): void {
  const entry = entryOf(poolId);
  entry.checkedAt = now;
  entry.failures = 0;
  entry.retryAt = 0;
  if (snapshot === null) {
    entry.snapshot = null;
    return;
  }
  if (!entry.snapshot || snapshot.at >= entry.snapshot.at) entry.snapshot = snapshot;
}

/**
 * Makes sure the snapshots of `pools` are on their way: refreshes the stale ones in `waitUntil` and,
 * for a pool this isolate never had a snapshot of, waits at most `COLD_WAIT_MS` the first time.
 * Returns what the request must wait for, or null when it need not wait (a warm isolate), so the
 * hot path pays no promise.
 * @example await preparePoolStates(env, ctx, [primary, secondary], Date.now());
 */
export function preparePoolStates(
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  pools: readonly Pool[],
  now: number,
): Promise<void> | null {
  let cold: Promise<void>[] | null = null;
  // An indexed loop: this runs for every request, and an iterator would be garbage each time.
  for (let i = 0; i < pools.length; i++) {
    const pool = pools[i] as Pool;
    const entry = entryOf(pool.id);
    if (!isDue(entry, pool, now)) continue;
    const refresh = refreshPool(env, pool.id, entry, now);
    ctx.waitUntil(refresh);
    if (entry.snapshot === null && !entry.waited) {
      entry.waited = true;
      cold ??= [];
      cold.push(refresh);
    }
  }
  return cold === null ? null : waitForCold(cold);
}

async function waitForCold(cold: readonly Promise<void>[]): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, COLD_WAIT_MS);
  });
  try {
    await Promise.race([Promise.all(cold), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `preparePoolStates` for the pools a load balancer may use: its pools, its fallback pool, the pools
 * its rules name and, for geo steering, the pools of `countryPools` and `regionPools`.
 * @example await prepareLoadBalancerPools(env, ctx, match.loadBalancer, indexConfig(config).pools, Date.now());
 */
export function prepareLoadBalancerPools(
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  loadBalancer: LoadBalancer,
  pools: ReadonlyMap<string, Pool>,
  now: number,
): Promise<void> | null {
  let cached = poolsOfLoadBalancer.get(loadBalancer);
  if (cached?.pools !== pools) {
    cached = { pools, wanted: poolsOf(loadBalancer, pools) };
    poolsOfLoadBalancer.set(loadBalancer, cached);
  }
  return preparePoolStates(env, ctx, cached.wanted, now);
}

/** Per load balancer (configuration object) and pool index: the pools it may use, found once. */
const poolsOfLoadBalancer = new WeakMap<
  LoadBalancer,
  { pools: ReadonlyMap<string, Pool>; wanted: readonly Pool[] }
>();

function poolsOf(loadBalancer: LoadBalancer, pools: ReadonlyMap<string, Pool>): Pool[] {
  const ids = [...loadBalancer.pools];
  if (loadBalancer.fallbackPool) ids.push(loadBalancer.fallbackPool);
  // Rules may route over other pools (docs/traffic.md); the mirror pool is left out: no request waits for it.
  for (const rule of loadBalancer.rules) if (rule.then.pools) ids.push(...rule.then.pools);
  // Geo steering may prefer pools that are not among `pools`; their health matters just as much.
  if (loadBalancer.steering === "geo") {
    for (const list of [
      ...Object.values(loadBalancer.countryPools),
      ...Object.values(loadBalancer.regionPools),
    ]) {
      ids.push(...list);
    }
  }
  const wanted: Pool[] = [];
  for (const id of ids) {
    const pool = pools.get(id);
    if (pool && !wanted.includes(pool)) wanted.push(pool);
  }
  return wanted;
}

function isDue(entry: Entry, pool: Pool, now: number): boolean {
  if (entry.refreshingSince !== null && now - entry.refreshingSince < LOST_REFRESH_MS) return false;
  if (now < entry.retryAt) return false;
  const age = now - entry.checkedAt;
  if (age >= SNAPSHOT_TTL_MS) return true;
  return entry.snapshot !== null && entry.snapshot.version < pool.version && age >= VERSION_RECHECK_MS;
}

async function refreshPool(env: Env, poolId: string, entry: Entry, now: number): Promise<void> {
  entry.refreshingSince = now;
  try {
    countDoCall("pool_state");
    const snapshot = await env.POOL_STATE.getByName(poolId).snapshot();
    acceptPoolSnapshot(poolId, snapshot, Date.now());
  } catch (error) {
    noteRefreshFailure(entry, Date.now());
    console.log(
      JSON.stringify({
        event: "pool_state_refresh_failed",
        pool: poolId,
        failures: entry.failures,
        error: String(error),
      }),
    );
  } finally {
    entry.refreshingSince = null;
  }
}

/** Backs a pool's refreshes off after a failed call to its PoolState (a refresh or a report). */
export function notePoolStateFailure(poolId: string, now: number): void {
  noteRefreshFailure(entryOf(poolId), now);
}

function noteRefreshFailure(entry: Entry, now: number): void {
  entry.failures++;
  const backoff = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(entry.failures, 20));
  entry.retryAt = now + backoff / 2 + Math.random() * (backoff / 2);
}

function entryOf(poolId: string): Entry {
  let entry = entries.get(poolId);
  if (!entry) {
    entry = { snapshot: null, checkedAt: 0, refreshingSince: null, failures: 0, retryAt: 0, waited: false };
    entries.set(poolId, entry);
  }
  return entry;
}
