/**
 * Where a request would go, short of picking the origin: the load balancer, the pool (with the
 * steering trace) and the pool's usable origins. Shared by the proxy and anything that explains
 * its decisions, so both always agree. Reads only plain per-isolate data; never waits.
 */
import type { Candidate } from "../balancing/types.ts";
import type { ConfigSnapshot, Pool } from "../config/schema.ts";
import { fallbackPoolCandidates, poolView } from "../edge/pool-view.ts";
import type { PoolView } from "../health/edge-view.ts";
import { choosePool, type PoolAssessment, type PoolChoice } from "../routing/choose-pool.ts";
import { indexConfig } from "../routing/config-index.ts";
import type { GeoLocation } from "../routing/geo.ts";
import { matchLoadBalancer, type RouteMatch } from "../routing/match.ts";

const USABLE: PoolAssessment = { usable: true };

export interface RoutePlan {
  /** The load balancer that serves the request; null answers 404. */
  readonly match: RouteMatch | null;
  /** The pool decision with its trace; null when nothing matched. */
  readonly choice: PoolChoice | null;
  /** Usable origins of the chosen pool; empty (with a pool or without) answers 503. */
  readonly candidates: readonly Candidate[];
}

/** What the pool decision may look at besides the configuration and the edge's view of health. */
export interface PoolOptions {
  /** Uniform random number in [0, 1); default `Math.random`. */
  readonly random?: (() => number) | undefined;
  /** Where the request comes from (`request.cf`), for geo steering. */
  readonly location?: GeoLocation | undefined;
  /** The pool and origin a session-affinity pin names; the pool is kept while the origin is usable. */
  readonly pin?: { readonly pool: string; readonly origin: string } | null | undefined;
}

/**
 * The load balancer serving `hostname` + `path` under `snapshot`, or null.
 * @example const match = matchRoute(config, url.hostname, url.pathname);
 */
export function matchRoute(snapshot: ConfigSnapshot, hostname: string, path: string): RouteMatch | null {
  return matchLoadBalancer(indexConfig(snapshot).routes, hostname, path);
}

/**
 * Chooses the pool of a matched request and lists its usable origins.
 * @example const { choice, candidates } = planPool(config, match, Date.now(), { location, pin });
 */
export function planPool(
  snapshot: ConfigSnapshot,
  match: RouteMatch,
  now: number,
  options: PoolOptions = {},
): Omit<RoutePlan, "match"> {
  const { pools } = indexConfig(snapshot);
  // One look at each pool per request: its usable origins and whether it can serve come together.
  const views = new Map<string, PoolView>();
  const view = (pool: Pool): PoolView => {
    let seen = views.get(pool.id);
    if (!seen) {
      seen = poolView(pool, now);
      views.set(pool.id, seen);
    }
    return seen;
  };
  const candidates = (pool: Pool): Candidate[] => view(pool).candidates;
  const pin = options.pin;
  const choice = choosePool({
    loadBalancer: match.loadBalancer,
    pools,
    steering: {
      random: options.random ?? Math.random,
      location: options.location,
      poolInflight: (id) => {
        const pool = pools.get(id);
        if (!pool?.enabled) return null;
        const list = candidates(pool);
        if (list.length === 0) return null;
        let sum = 0;
        for (const candidate of list) sum += candidate.inflight;
        return sum;
      },
    },
    pinned: pin
      ? { pool: pin.pool, accepts: (pool) => candidates(pool).some((c) => c.name === pin.origin) }
      : null,
    assess: (pool) => {
      const reason = view(pool).reason;
      return reason === null ? USABLE : { usable: false, reason };
    },
  });
  const chosen = choice.pool;
  if (!chosen) return { choice, candidates: [] };
  // The fallback pool serves with its health ignored (usable origins first).
  return {
    choice,
    candidates: choice.via === "fallback" ? fallbackPoolCandidates(chosen, now) : candidates(chosen),
  };
}

/**
 * Plans the route of a request to `hostname` + `path` under `snapshot`.
 * @example const { match, choice, candidates } = planRoute(config, url.hostname, url.pathname, Date.now());
 */
export function planRoute(
  snapshot: ConfigSnapshot,
  hostname: string,
  path: string,
  now: number,
  options: PoolOptions = {},
): RoutePlan {
  const match = matchRoute(snapshot, hostname, path);
  if (!match) return { match: null, choice: null, candidates: [] };
  return { match, ...planPool(snapshot, match, now, options) };
}
