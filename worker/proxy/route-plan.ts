/**
 * Where a request would go, short of picking the origin: the load balancer, the pool (with the
 * steering trace) and the pool's usable origins. Shared by the proxy and anything that explains
 * its decisions, so both always agree. Reads only plain per-isolate data; never waits.
 */
import type { Candidate } from "../balancing/types.ts";
import type { ConfigSnapshot } from "../config/schema.ts";
import { usableCandidates } from "../edge/pool-view.ts";
import { choosePool, type PoolAssessment, type PoolChoice } from "../routing/choose-pool.ts";
import { indexConfig } from "../routing/config-index.ts";
import { matchLoadBalancer, type RouteMatch } from "../routing/match.ts";

export interface RoutePlan {
  /** The load balancer that serves the request; null answers 404. */
  readonly match: RouteMatch | null;
  /** The pool decision with its trace; null when nothing matched. */
  readonly choice: PoolChoice | null;
  /** Usable origins of the chosen pool; empty (with a pool or without) answers 503. */
  readonly candidates: readonly Candidate[];
}

const USABLE: PoolAssessment = { usable: true };
const NO_USABLE_ORIGIN: PoolAssessment = {
  usable: false,
  reason: "no usable origin (every origin is disabled or has weight 0)",
};

/**
 * Plans the route of a request to `hostname` + `path` under `snapshot`.
 * @example const { match, choice, candidates } = planRoute(config, url.hostname, url.pathname, Date.now());
 */
export function planRoute(
  snapshot: ConfigSnapshot,
  hostname: string,
  path: string,
  now: number,
  random: () => number = Math.random,
): RoutePlan {
  const { routes, pools } = indexConfig(snapshot);
  const match = matchLoadBalancer(routes, hostname, path);
  if (!match) return { match: null, choice: null, candidates: [] };
  const candidatesOf = new Map<string, Candidate[]>();
  const choice = choosePool({
    loadBalancer: match.loadBalancer,
    pools,
    steering: { random },
    assess: (pool) => {
      const candidates = usableCandidates(pool, now);
      candidatesOf.set(pool.id, candidates);
      return candidates.length > 0 ? USABLE : NO_USABLE_ORIGIN;
    },
  });
  const pool = choice.pool;
  const candidates = pool ? (candidatesOf.get(pool.id) ?? usableCandidates(pool, now)) : [];
  return { match, choice, candidates };
}
