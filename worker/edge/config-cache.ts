/**
 * The isolate's copy of the configuration, read by news, not by the clock.
 *
 * - The configuration is read again when news says it changed: every PoolState snapshot carries the
 *   ConfigStore's latest version as the ConfigStore announced it (durable-objects/config-store), so a
 *   change reaches a busy isolate with its next pool read (1.25 s), at no cost in between. Without
 *   news, it is read again `CONFIG_CEILING_MS` after the last read while requests come.
 * - A request never waits for the ConfigStore while a snapshot exists, however old: the read runs in
 *   `waitUntil`. Only a cold isolate, with no configuration at all, waits; it makes one load at a time
 *   (other cold requests wait for that one, at most `COLD_CONFIG_WAIT_MS`), and after a failed load
 *   backs off (250 ms doubling to 30 s), answering 503 meanwhile without calling the store.
 * - A failed read keeps the old snapshot (fail static) and backs off.
 * Module scope holds plain data only; no promise is shared between requests.
 */

import type { ConfigSnapshot } from "../config/schema.ts";
import type { Env } from "../env.ts";
import { ProblemError } from "../http/problem.ts";
import { CALL_CEILING_MS, ReadCadence } from "./cadence.ts";
import { countDoCall } from "./do-calls.ts";
import { CLAIM_MS, CLAIMED_RETRY_MS, decideLook } from "./location-share.ts";
import { claimShared, lookShared, putShared } from "./location-tier.ts";

/** The key of the configuration in the location's cache. */
const SHARED_KEY = "config";

import { forgetRemoved } from "./isolate-memory.ts";

/** How old a snapshot may get, without news of a change, before a request triggers a read. */
export const CONFIG_CEILING_MS = CALL_CEILING_MS;
/** How long a cold request waits for the load another request started. */
export const COLD_CONFIG_WAIT_MS = 3000;
/** How often a waiting cold request looks whether the load finished. */
const COLD_POLL_MS = 20;

interface CacheState {
  snapshot: ConfigSnapshot | null;
  /** The newest version news announced (0: none). */
  announced: number;
  readonly cadence: ReadCadence;
}

const cache: CacheState = { snapshot: null, announced: 0, cadence: new ReadCadence() };

/**
 * The current configuration for this request.
 * @example const config = await getConfig(env, ctx);
 */
export async function getConfig(env: Env, ctx: Pick<ExecutionContext, "waitUntil">): Promise<ConfigSnapshot> {
  const now = Date.now();
  const current = warmConfig(env, ctx, now);
  if (current) return current;
  if (cache.cadence.mayStart(now)) await refresh(env);
  else if (cache.cadence.loadingSince !== null) await waitForLoad(now + COLD_CONFIG_WAIT_MS);
  if (!cache.snapshot) {
    throw new ProblemError(503, "The load balancer cannot read its configuration yet; try again shortly.", {
      headers: { "retry-after": "1" },
    });
  }
  return cache.snapshot;
}

/**
 * The configuration for this request when the isolate has one (refreshing it in the background when
 * it is due), without waiting; null on a cold isolate, which must `await getConfig(...)`.
 * @example const config = warmConfig(env, ctx, Date.now()) ?? (await getConfig(env, ctx));
 */
export function warmConfig(
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  now: number,
): ConfigSnapshot | null {
  const current = cache.snapshot;
  if (current && isDue(current, now)) ctx.waitUntil(refresh(env));
  return current;
}

function isDue(current: ConfigSnapshot, now: number): boolean {
  const cadence = cache.cadence;
  if (!cadence.mayStart(now)) return false;
  return cache.announced > current.version || now - cadence.heardAt >= CONFIG_CEILING_MS;
}

/**
 * News that the configuration is at `version` (from a PoolState snapshot): a newer one than the
 * isolate holds is read with the next request.
 */
export function noteConfigVersion(version: number): void {
  if (version > cache.announced) cache.announced = version;
}

/** Waits, without calling anything, until the running load ends or `deadline` passes. */
async function waitForLoad(deadline: number): Promise<void> {
  while (!cache.snapshot && cache.cadence.loadingSince !== null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, COLD_POLL_MS));
  }
}

/** Installs a snapshot the isolate already has (e.g. returned by a write through the API). */
export function acceptSnapshot(snapshot: ConfigSnapshot): void {
  if (!cache.snapshot || snapshot.version >= cache.snapshot.version) {
    // A new configuration: per-isolate state of pools and load balancers that left it goes with them.
    if (cache.snapshot !== snapshot) forgetRemoved(snapshot);
    cache.snapshot = snapshot;
    cache.cadence.heardAt = Date.now();
  }
}

/**
 * Puts a configuration this isolate just wrote in the location's shared copy (when it is the one
 * this isolate routes by); a cache that fails costs nothing but the share.
 */
export async function shareWrittenSnapshot(env: Env, snapshot: ConfigSnapshot): Promise<void> {
  if (cache.snapshot !== snapshot) return;
  await putShared(env, SHARED_KEY, snapshot, Date.now()).catch(() => undefined);
}

/** The snapshot this isolate holds, without triggering anything; null on a cold isolate. */
export function peekConfig(): ConfigSnapshot | null {
  return cache.snapshot;
}

/** Age in ms of the last successful check against the store, or null when there is none. */
export function configAgeMs(now = Date.now()): number | null {
  return cache.snapshot ? now - cache.cadence.heardAt : null;
}

async function refresh(env: Env): Promise<void> {
  const cadence = cache.cadence;
  cadence.begin(Date.now());
  try {
    if (!(await shareOrClaim(env))) return;
    countDoCall("config");
    const stub = env.CONFIG_STORE.getByName("global");
    const next = await stub.snapshot(cache.snapshot?.version);
    if (next) acceptSnapshot(next);
    const answeredAt = Date.now();
    cadence.succeeded(answeredAt);
    // News of a version the store does not have (a store reset) is not news.
    if (cache.snapshot && cache.announced > cache.snapshot.version) cache.announced = cache.snapshot.version;
    if (cache.snapshot) await putShared(env, SHARED_KEY, cache.snapshot, answeredAt);
  } catch (error) {
    cadence.failed(Date.now());
    console.log(
      JSON.stringify({ event: "config_refresh_failed", failures: cadence.failures, error: String(error) }),
    );
  }
}

/**
 * Looks at the location's copy first (location-tier.ts): takes it when it is newer, and says whether
 * the ConfigStore must still be called (the copy is not recent enough, or older than announced news,
 * and no other isolate of the location claimed the call).
 */
async function shareOrClaim(env: Env): Promise<boolean> {
  const cadence = cache.cadence;
  const shared = await lookShared<ConfigSnapshot>(env, SHARED_KEY);
  if (!shared) return true;
  const at = Date.now();
  const copy = shared.value;
  const newer =
    copy !== null && typeof copy.version === "number" && copy.version >= (cache.snapshot?.version ?? 0);
  if (newer && shared.look.fetchedAt !== null) {
    if (!cache.snapshot || copy.version > cache.snapshot.version) {
      forgetRemoved(copy);
      cache.snapshot = copy;
    }
    cadence.heardAt = Math.max(cadence.heardAt, shared.look.fetchedAt);
  }
  const stale = cache.snapshot === null || cache.announced > cache.snapshot.version;
  const decision = decideLook(
    stale ? 0 : cadence.heardAt,
    { ...shared.look, fetchedAt: null },
    CONFIG_CEILING_MS,
    at,
  );
  // A cold isolate does not wait for another's claim: it has nothing to serve with meanwhile.
  if (decision.call || cache.snapshot === null) {
    await claimShared(env, SHARED_KEY, at + CLAIM_MS);
    return true;
  }
  cadence.loadingSince = null;
  if (decision.claimed) cadence.retryAt = at + CLAIMED_RETRY_MS;
  return false;
}
