/**
 * The isolate's copy of the configuration, refreshed stale-while-revalidate.
 *
 * A request never waits for the ConfigStore while a snapshot exists, however old: past
 * `REFRESH_AFTER_MS` the refresh runs in `waitUntil`. Only a cold isolate, with no configuration at
 * all, awaits the store once. A failed refresh keeps the old snapshot (fail static) and backs off.
 * Module scope holds plain data only; no promise is shared between requests.
 */

import type { ConfigSnapshot } from "../config/schema.ts";
import type { Env } from "../env.ts";
import { ProblemError } from "../http/problem.ts";
import { countDoCall } from "./do-calls.ts";
import { forgetRemoved } from "./isolate-memory.ts";

/** How old a snapshot may get before a request triggers a background refresh. */
export const REFRESH_AFTER_MS = 2000;
const MAX_BACKOFF_MS = 30_000;

interface CacheState {
  snapshot: ConfigSnapshot | null;
  checkedAt: number;
  refreshing: boolean;
  failures: number;
  retryAt: number;
}

const cache: CacheState = { snapshot: null, checkedAt: 0, refreshing: false, failures: 0, retryAt: 0 };

/**
 * The current configuration for this request.
 * @example const config = await getConfig(env, ctx);
 */
export async function getConfig(env: Env, ctx: Pick<ExecutionContext, "waitUntil">): Promise<ConfigSnapshot> {
  const current = warmConfig(env, ctx, Date.now());
  if (current) return current;
  await refresh(env);
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
  if (current && now - cache.checkedAt >= REFRESH_AFTER_MS && !cache.refreshing && now >= cache.retryAt) {
    ctx.waitUntil(refresh(env));
  }
  return current;
}

/** Installs a snapshot the isolate already has (e.g. returned by a write through the API). */
export function acceptSnapshot(snapshot: ConfigSnapshot): void {
  if (!cache.snapshot || snapshot.version >= cache.snapshot.version) {
    // A new configuration: per-isolate state of pools and load balancers that left it goes with them.
    if (cache.snapshot !== snapshot) forgetRemoved(snapshot);
    cache.snapshot = snapshot;
    cache.checkedAt = Date.now();
  }
}

/** The snapshot this isolate holds, without triggering anything; null on a cold isolate. */
export function peekConfig(): ConfigSnapshot | null {
  return cache.snapshot;
}

/** Age in ms of the last successful check against the store, or null when there is none. */
export function configAgeMs(now = Date.now()): number | null {
  return cache.snapshot ? now - cache.checkedAt : null;
}

async function refresh(env: Env): Promise<void> {
  cache.refreshing = true;
  try {
    countDoCall("config");
    const stub = env.CONFIG_STORE.getByName("global");
    const next = await stub.snapshot(cache.snapshot?.version);
    if (next) acceptSnapshot(next);
    cache.checkedAt = Date.now();
    cache.failures = 0;
    cache.retryAt = 0;
  } catch (error) {
    cache.failures++;
    const backoff = Math.min(MAX_BACKOFF_MS, 250 * 2 ** cache.failures);
    cache.retryAt = Date.now() + backoff / 2 + Math.random() * (backoff / 2);
    console.log(
      JSON.stringify({ event: "config_refresh_failed", failures: cache.failures, error: String(error) }),
    );
  } finally {
    cache.refreshing = false;
  }
}
