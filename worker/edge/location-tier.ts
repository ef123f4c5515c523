/**
 * The per-location tier: what one isolate of a location read from a Durable Object (the
 * configuration, a pool's snapshot), put in the location's cache (the Cache API, local to a data
 * centre, no Durable Object call) for the other isolates of the location, with a claim so that one
 * of them calls at a time. The rule is location-share.ts.
 *
 * The cache is `caches.open(LOCATION_CACHE)` (default `edge-lb-state`; `default` for
 * `caches.default`; `off` for no tier). The Cache API stores nothing on `*.workers.dev` hostnames,
 * only on custom domains: there every look finds nothing and each isolate reads the Durable Objects
 * itself (the direct path), on the same cadence. A cache that fails counts as empty: the tier can
 * cost a request nothing but a missed share.
 */
import type { Env } from "../env.ts";
import type { LocationLook } from "./location-share.ts";

/** Keys live under this reserved URL; nothing is ever fetched from it. */
const KEY_BASE = "https://edge-lb-state.internal/v1/";
/** How long the cache keeps a shared copy: beyond the longest read interval (30 s). */
const ENTRY_MAX_AGE_S = 60;
const CLAIM_MAX_AGE_S = 10;
const DEFAULT_CACHE = "edge-lb-state";

/** What a look found: the shared copy, if any, and the rule's input. */
export interface SharedLook<T> {
  readonly value: T | null;
  readonly look: LocationLook;
}

/** The location's cache, or null when the tier is off or the runtime has none. */
async function cacheOf(env: Env): Promise<Cache | null> {
  const name = env.LOCATION_CACHE ?? DEFAULT_CACHE;
  if (name === "off" || typeof caches === "undefined") return null;
  try {
    return name === "default" ? caches.default : await caches.open(name);
  } catch {
    return null;
  }
}

/** Whether the tier is on for this Worker (a variable, not a cache probe). */
export function locationTierOn(env: Env): boolean {
  return (env.LOCATION_CACHE ?? DEFAULT_CACHE) !== "off" && typeof caches !== "undefined";
}

/**
 * The location's shared copy under `key` and its claim; null when there is no tier.
 * @example const shared = await lookShared<PoolSnapshot>(env, "pool/web");
 */
export async function lookShared<T>(env: Env, key: string): Promise<SharedLook<T> | null> {
  const cache = await cacheOf(env);
  if (!cache) return null;
  const [entry, claim] = await Promise.all([readJson(cache, key), readJson(cache, `claim/${key}`)]);
  const fetchedAt = typeof entry?.fetchedAt === "number" ? entry.fetchedAt : null;
  const claimedUntil = typeof claim?.until === "number" ? claim.until : null;
  const value = fetchedAt !== null && entry && "value" in entry ? (entry.value as T) : null;
  return { value, look: { fetchedAt: value === null ? null : fetchedAt, claimedUntil } };
}

/** Claims the next call for `key` until `until`. */
export async function claimShared(env: Env, key: string, until: number): Promise<void> {
  const cache = await cacheOf(env);
  if (cache) await writeJson(cache, `claim/${key}`, { until }, CLAIM_MAX_AGE_S);
}

/** Shares `value`, fetched from its Durable Object at `fetchedAt`, and lifts the claim. */
export async function putShared(env: Env, key: string, value: unknown, fetchedAt: number): Promise<void> {
  const cache = await cacheOf(env);
  if (!cache) return;
  await writeJson(cache, key, { value, fetchedAt }, ENTRY_MAX_AGE_S);
  await cache.delete(new Request(`${KEY_BASE}claim/${key}`)).catch(() => false);
}

async function readJson(cache: Cache, key: string): Promise<Record<string, unknown> | null> {
  try {
    const response = await cache.match(new Request(KEY_BASE + key));
    if (!response) return null;
    const body: unknown = await response.json();
    return typeof body === "object" && body !== null ? (body as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

async function writeJson(cache: Cache, key: string, body: unknown, maxAgeS: number): Promise<void> {
  try {
    const response = new Response(JSON.stringify(body), {
      headers: { "content-type": "application/json", "cache-control": `max-age=${maxAgeS}` },
    });
    await cache.put(new Request(KEY_BASE + key), response);
  } catch {
    // A cache that cannot store costs a missed share, nothing else.
  }
}
