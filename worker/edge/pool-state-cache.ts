/**
 * When this isolate reads each pool's PoolState snapshot (health, ejections, in-flight sums): by the
 * traffic the read serves (cadence.ts), stale-while-revalidate. The snapshots themselves are kept by
 * pool-snapshots.ts; a read is a report (reports.ts), so it carries whatever news waits.
 *
 * - Warm: a request never waits. A snapshot older than the interval its pool's traffic here earns
 *   (`callIntervalMs`: 1.25 s from 20 requests per second, growing to 30 s as traffic thins), or
 *   computed for an older pool version, is read again in `waitUntil`; the request routes on the
 *   one it has, however old.
 * - Cold (no snapshot of the pool yet): the first request waits for the PoolState at most
 *   `COLD_WAIT_MS`, once per pool per isolate, so a fresh isolate does not send its first requests
 *   to an origin that is known to be down; after that, or if the PoolState is slow, requests route
 *   without health information (every origin counts as healthy, as the PoolState itself assumes
 *   before a first verdict) while the read completes in the background.
 * - Fail static: a failed call keeps the last snapshot and backs off (250 ms doubling to 30 s,
 *   jittered); a PoolState that is slow or unreachable never fails a request.
 *
 * Module scope holds plain data only; no promise is shared between requests.
 */
import type { LoadBalancer, Pool } from "../config/schema.ts";
import type { Env } from "../env.ts";
import type { PoolSnapshot } from "../health/types.ts";
import { CLAIM_MS, CLAIMED_RETRY_MS, decideLook } from "./location-share.ts";
import { claimShared, lookShared } from "./location-tier.ts";
import { adoptPoolSnapshot, type PoolEntry, poolEntry, poolSnapshotAgeMs } from "./pool-snapshots.ts";
import { callPool, setUsesInflight } from "./reports.ts";

export {
  acceptPoolSnapshot,
  forgetPoolSnapshots,
  notePoolStateFailure,
  peekPoolSnapshot,
  poolSnapshotAgeMs,
} from "./pool-snapshots.ts";

/** A snapshot computed for an older pool version is read again once it is this old. */
const VERSION_RECHECK_MS = 200;
/** How long the first request for a pool waits for its first snapshot. */
export const COLD_WAIT_MS = 300;

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
    const entry = poolEntry(pool.id);
    entry.cadence.meter.note(1, now);
    if (!isDue(entry, pool, now)) continue;
    const refresh = readPool(env, pool.id, entry, now);
    ctx.waitUntil(refresh);
    if (entry.snapshot === null && !entry.waited) {
      entry.waited = true;
      cold ??= [];
      cold.push(refresh);
    }
  }
  return cold === null ? null : waitForCold(cold);
}

/**
 * Reads a pool's snapshot: from the location's cache when another isolate of the location read it
 * recently enough, else from the PoolState (a report, which shares its answer with the location).
 */
async function readPool(
  env: Env,
  poolId: string,
  entry: PoolEntry,
  now: number,
  wanted?: { readonly maxAgeMs: number; readonly version: number },
): Promise<void> {
  const cadence = entry.cadence;
  cadence.begin(now);
  const key = `pool/${poolId}`;
  const shared = await lookShared<PoolSnapshot>(env, key);
  if (shared) {
    const at = Date.now();
    // For a reader that asked for a pool version, a copy computed for an older one is no copy.
    const older = wanted !== undefined && shared.value !== null && shared.value.version < wanted.version;
    const look = older ? { ...shared.look, fetchedAt: null } : shared.look;
    const ownOlder = wanted !== undefined && (entry.snapshot?.version ?? wanted.version) < wanted.version;
    const heardAt = older || ownOlder ? 0 : cadence.heardAt;
    const decision = decideLook(heardAt, look, wanted?.maxAgeMs ?? cadence.intervalMs(at), at);
    if (decision.adopt && shared.value && shared.look.fetchedAt !== null) {
      adoptPoolSnapshot(entry, shared.value);
      cadence.heardAt = shared.look.fetchedAt;
    }
    if (!decision.call) {
      cadence.loadingSince = null;
      if (decision.claimed) cadence.retryAt = at + CLAIMED_RETRY_MS;
      return;
    }
    await claimShared(env, key, at + CLAIM_MS);
  }
  await callPool(env, poolId, Date.now());
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
    for (const pool of cached.wanted) {
      // A pool several load balancers use carries in-flight figures if any of them reads them.
      const uses = (inflightPools.get(pool) ?? false) || usesInflight(pool, loadBalancer);
      inflightPools.set(pool, uses);
      setUsesInflight(pool.id, uses);
    }
  }
  return preparePoolStates(env, ctx, cached.wanted, now);
}

/** Per pool (configuration object): whether a load balancer seen so far reads its in-flight figures. */
const inflightPools = new WeakMap<Pool, boolean>();

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

/**
 * Whether reports about `pool` carry in-flight figures: its algorithm, its origins' `maxConnections`,
 * draining origins (weight 0, shown `draining` while requests are in flight) or the steering of a
 * load balancer that uses it read them.
 */
export function usesInflight(pool: Pool, loadBalancer: LoadBalancer): boolean {
  if (loadBalancer.steering === "least_connections") return true;
  const algorithm = pool.algorithm;
  if (algorithm === "least_connections" || algorithm === "least_request" || algorithm === "least_time") {
    return true;
  }
  return pool.origins.some((origin) => origin.maxConnections !== null || origin.weight === 0);
}

function isDue(entry: PoolEntry, pool: Pool, now: number): boolean {
  const cadence = entry.cadence;
  if (!cadence.mayStart(now)) return false;
  const age = now - cadence.heardAt;
  if (age >= cadence.intervalMs(now)) return true;
  // An ejection ended after the snapshot was built: whether the origin is back is news to read.
  if (entry.lapseAt !== null && entry.lapseAt <= now && entry.builtAt < entry.lapseAt) return true;
  return entry.snapshot !== null && entry.snapshot.version < pool.version && age >= VERSION_RECHECK_MS;
}

/**
 * For the management side (explain): reads again, and waits for, the snapshot of every pool of
 * `pools` that is older than `maxAgeMs` (or missing), so what an operator is shown is at most that
 * old, and the proxy of this isolate then routes on the same snapshots. One DO call per stale pool,
 * never on the request path: proxied requests keep the cadence their traffic earns.
 * @example await refreshPoolStatesNow(env, [pool], 1000, Date.now());
 */
export async function refreshPoolStatesNow(
  env: Env,
  pools: readonly Pool[],
  maxAgeMs: number,
  now: number,
): Promise<void> {
  const stale: Promise<void>[] = [];
  for (const pool of pools) {
    const age = poolSnapshotAgeMs(pool.id, now);
    if (age === null || age > maxAgeMs) stale.push(callPool(env, pool.id, now));
  }
  await Promise.all(stale);
}

/** What `readStaleSnapshots` did: how many pools it read and which it left as they were. */
export interface BoundedRead {
  /** Pools whose snapshot was older than asked (or missing) and that were read now. */
  readonly read: number;
  /** Pools whose snapshot stays older than asked: beyond the cap, backing off, or claimed by another isolate. */
  readonly left: readonly string[];
}

/**
 * For a reader of many pools at once (the dashboard's overview): reads again, and waits for, the
 * snapshots older than `maxAgeMs` (or missing, or computed for an older pool version), at most `cap`
 * of them, the oldest first, each through the location's cache before its PoolState. A pool with a
 * call running or backing off is not called again. So one request costs at most `cap` DO calls
 * whatever the size of the configuration; what it could not read is reported back, and its age
 * stays visible to the caller through `poolSnapshotAgeMs`.
 * @example const { left } = await readStaleSnapshots(env, config.pools, 5000, 6, Date.now());
 */
export async function readStaleSnapshots(
  env: Env,
  pools: readonly Pool[],
  maxAgeMs: number,
  cap: number,
  now: number,
): Promise<BoundedRead> {
  const stale: { pool: Pool; age: number }[] = [];
  for (const pool of pools) {
    const entry = poolEntry(pool.id);
    const age = entry.cadence.heardAt > 0 ? now - entry.cadence.heardAt : Number.POSITIVE_INFINITY;
    if (age > maxAgeMs || !isCurrentFor(entry, pool)) stale.push({ pool, age });
  }
  stale.sort((a, b) => b.age - a.age);
  const chosen: Pool[] = [];
  const left: string[] = [];
  for (const { pool } of stale) {
    if (chosen.length < cap && poolEntry(pool.id).cadence.mayStart(now)) chosen.push(pool);
    else left.push(pool.id);
  }
  await Promise.all(
    chosen.map((pool) =>
      readPool(env, pool.id, poolEntry(pool.id), now, { maxAgeMs, version: pool.version }),
    ),
  );
  const after = Date.now();
  for (const pool of chosen) {
    const age = poolSnapshotAgeMs(pool.id, after);
    if (age === null || age > maxAgeMs + (after - now) || !isCurrentFor(poolEntry(pool.id), pool)) {
      left.push(pool.id);
    }
  }
  return { read: chosen.length, left };
}

/** Whether the entry's snapshot was computed for `pool`'s version or a newer one (or there is none). */
function isCurrentFor(entry: PoolEntry, pool: Pool): boolean {
  return entry.snapshot === null || entry.snapshot.version >= pool.version;
}
