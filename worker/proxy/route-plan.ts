/**
 * Where a request would go, short of picking the origin: the load balancer, the pool (with the
 * steering trace) and the pool's usable origins. Shared by the proxy and anything that explains
 * its decisions, so both always agree. Reads only plain per-isolate data; never waits.
 */
import type { Candidate } from "../balancing/types.ts";
import type { ConfigSnapshot, Pool } from "../config/schema.ts";
import { indexConfig } from "../edge/config-index.ts";
import { fallbackPoolCandidates, poolCandidatesHere } from "../edge/pool-view.ts";
import type { PoolCandidates } from "../health/edge-view.ts";
import { choosePool, type PoolAssessment, type PoolChoice } from "../routing/choose-pool.ts";
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
  /** The request's `splitOn` key, for steering `hash` (proxy/traffic.ts). */
  readonly splitKey?: string | undefined;
  /** The pool the load balancer's `poolOverrideHeader` names on the request. */
  readonly overridePool?: string | null | undefined;
  /**
   * The origin a drain session keeps for this request in a pool (session.ts `drainSessionOf`): a
   * pool with no usable origin but that one serves the request with it alone.
   */
  readonly drainSession?: ((pool: Pool) => Candidate | undefined) | undefined;
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
  const loadBalancer = match.loadBalancer;
  const views = new RequestViews(now, options.drainSession);
  const pin = options.pin;
  const choice = choosePool({
    loadBalancer,
    pools,
    steering: {
      random: options.random ?? Math.random,
      location: options.location,
      poolInflight: loadBalancer.steering === "least_connections" ? poolInflightOf(views, pools) : undefined,
      splitKey: options.splitKey,
      overridePool: options.overridePool,
    },
    pinned: pin ? { pool: pin.pool, accepts: acceptsPinOf(views, pin.origin) } : null,
    assess: assessOf(views),
  });
  const chosen = choice.pool;
  if (!chosen) return { choice, candidates: [] };
  // The fallback pool serves with its health ignored (usable origins first).
  return {
    choice,
    candidates: choice.via === "fallback" ? fallbackPoolCandidates(chosen, now) : views.of(chosen).candidates,
  };
}

/**
 * The pools one request looks at, each looked at once: its usable origins and whether it can serve
 * come together. Most requests look at one pool, kept without a map.
 */
class RequestViews {
  readonly #now: number;
  readonly #drainSession: ((pool: Pool) => Candidate | undefined) | undefined;
  #firstPool: Pool | null = null;
  #firstView: PoolCandidates | null = null;
  #more: Map<string, PoolCandidates> | null = null;

  constructor(now: number, drainSession?: (pool: Pool) => Candidate | undefined) {
    this.#now = now;
    this.#drainSession = drainSession;
  }

  of(pool: Pool): PoolCandidates {
    if (this.#firstPool === pool && this.#firstView) return this.#firstView;
    let view = this.#more?.get(pool.id);
    if (view) return view;
    view = poolCandidatesHere(pool, this.#now);
    // Every origin drained: the request's drain session, if it has one, still serves (docs/health.md).
    if (view.candidates.length === 0 && view.healthy && this.#drainSession) {
      const kept = this.#drainSession(pool);
      if (kept) view = { ...view, candidates: [kept], reason: null };
    }
    if (this.#firstPool === null) {
      this.#firstPool = pool;
      this.#firstView = view;
    } else {
      this.#more ??= new Map();
      this.#more.set(pool.id, view);
    }
    return view;
  }
}

// The callbacks below are made by functions rather than written inline, so the bundle does not
// name each one on every request (esbuild's keepNames).

function assessOf(views: RequestViews): (pool: Pool) => PoolAssessment {
  return (pool) => {
    const reason = views.of(pool).reason;
    return reason === null ? USABLE : { usable: false, reason };
  };
}

function acceptsPinOf(views: RequestViews, origin: string): (pool: Pool) => boolean {
  return (pool) => views.of(pool).candidates.some((candidate) => candidate.name === origin);
}

function poolInflightOf(
  views: RequestViews,
  pools: ReadonlyMap<string, Pool>,
): (id: string) => number | null {
  return (id) => {
    const pool = pools.get(id);
    if (!pool?.enabled) return null;
    const list = views.of(pool).candidates;
    if (list.length === 0) return null;
    let sum = 0;
    for (const candidate of list) sum += candidate.inflight;
    return sum;
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
