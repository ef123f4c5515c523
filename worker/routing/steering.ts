/**
 * Steering policies: each one orders a load balancer's pools by preference for one request. Pure.
 *
 * `choosePool` walks that order and takes the first pool that can serve, so a policy only decides
 * preference, never health: a pool a policy prefers but that cannot serve is skipped like in
 * `failover`, and the next one in the policy's order gets the request.
 *
 * - `failover`: the configured order.
 * - `random`: pools drawn in proportion to `poolWeights` (a pool absent from it weighs 1), the next
 *   one drawn among the rest in the same proportions, and so on; pools of weight 0 come last, in
 *   configured order, so they serve only when no weighted pool can.
 * - `geo`: `countryPools`, then `regionPools` by continent, then `pools` (see geo.ts).
 * - `least_connections`: the pool whose usable origins have the fewest requests in flight, from the
 *   same estimate the balancers use (global sum plus this isolate's change since). That estimate is
 *   shared by every edge and refreshed about once a second, so the least loaded pool and every pool
 *   within 10 % of it count as tied and one of them is drawn at random: always taking the exact
 *   minimum would send every edge's traffic to the same pool until the next refresh.
 * - `hash`: the pool a consistent hash of the request's `splitOn` key picks, weighted by
 *   `poolWeights` (hash-split.ts), then the other pools in configured order for failover.
 *
 * A request naming one of the pools in the load balancer's `poolOverrideHeader` goes to that pool
 * first, whatever the policy; the policy's order follows for failover.
 */
import type { LoadBalancer, Steering } from "../config/schema.ts";
import { type GeoLocation, geoPreference } from "./geo.ts";
import { compileSplit, splitIndex } from "./hash-split.ts";

/** What a policy may look at besides the load balancer. */
export interface SteeringContext {
  /** Uniform random number in [0, 1); injected so tests are deterministic. */
  readonly random: () => number;
  /** Where the request comes from, for `geo`; absent counts as unknown. */
  readonly location?: GeoLocation | undefined;
  /**
   * Requests in flight to a pool's usable origins, for `least_connections`; null when the pool
   * cannot serve now or does not exist. Absent: no pool's load is known (configured order).
   */
  readonly poolInflight?: ((poolId: string) => number | null) | undefined;
  /** The request's `splitOn` key, for `hash`; absent hashes the empty string. */
  readonly splitKey?: string | undefined;
  /** The value of the load balancer's `poolOverrideHeader` on the request, if any. */
  readonly overridePool?: string | null | undefined;
}

export interface SteeringOrder {
  /** Pool ids, most preferred first. */
  readonly pools: readonly string[];
  /** Why this order, for the explain endpoint, e.g. "failover: pools in configured order". */
  readonly reason: string;
}

export type SteeringPolicy = (loadBalancer: LoadBalancer, context: SteeringContext) => SteeringOrder;

/** Loads within this fraction above the lowest count as a tie in `least_connections`. */
export const POOL_NEAR_TIE_TOLERANCE = 0.1;
const EPSILON = 1e-9;

/** `failover`: the configured order; the first pool that can serve takes all traffic. */
export const failoverSteering: SteeringPolicy = (loadBalancer) => ({
  pools: loadBalancer.pools,
  reason: "failover: pools in configured order",
});

/** `random`: a weighted draw without replacement over `poolWeights`. */
export const randomSteering: SteeringPolicy = (loadBalancer, { random }) => {
  const ids = loadBalancer.pools;
  const weights = ids.map((id) => poolWeight(loadBalancer.poolWeights, id));
  return {
    pools: weightedOrder(ids, weights, random),
    reason: "random: pools drawn in proportion to poolWeights (absent: 1; weight 0: last resort)",
  };
};

/** `geo`: the request's country, then its continent, then the configured order. */
export const geoSteering: SteeringPolicy = (loadBalancer, { location }) =>
  geoPreference(loadBalancer, location ?? { country: null, continent: null });

/** `least_connections`: fewest in flight first, near-ties drawn at random. */
export const leastConnectionsSteering: SteeringPolicy = (loadBalancer, { random, poolInflight }) => {
  const ids = loadBalancer.pools;
  const loads = ids.map((id) => {
    const load = poolInflight?.(id) ?? null;
    return load !== null && Number.isFinite(load) ? Math.max(0, load) : null;
  });
  let best = Number.POSITIVE_INFINITY;
  for (const load of loads) if (load !== null && load < best) best = load;
  if (!Number.isFinite(best)) {
    return {
      pools: ids,
      reason: "least_connections: no pool can serve now; pools in configured order",
    };
  }
  const limit = best + best * POOL_NEAR_TIE_TOLERANCE + EPSILON;
  const tied: number[] = [];
  loads.forEach((load, i) => {
    if (load !== null && load <= limit) tied.push(i);
  });
  const first = tied[Math.min(tied.length - 1, Math.floor(random() * tied.length))]!;
  const known = ids
    .map((id, i) => ({ id, i, load: loads[i] }))
    .filter(
      (entry): entry is { id: string; i: number; load: number } => entry.load !== null && entry.i !== first,
    )
    .sort((a, b) => a.load - b.load || a.i - b.i);
  const pools = [ids[first]!, ...known.map((entry) => entry.id), ...ids.filter((_, i) => loads[i] === null)];
  const figures = ids.map((id, i) => `${id} ${loads[i] ?? "cannot serve"}`).join(", ");
  const tie = tied.length > 1 ? ` (drawn at random among ${tied.length} within 10 % of the fewest)` : "";
  return {
    pools,
    reason: `least_connections: in flight ${figures}; ${ids[first]} first${tie}`,
  };
};

/** `hash`: the pool the request's key hashes to, then the others in configured order. */
export const hashSteering: SteeringPolicy = (loadBalancer, { splitKey }) => {
  const ids = loadBalancer.pools;
  const chosen = splitIndex(compileSplit(loadBalancer, ids, loadBalancer.poolWeights), splitKey ?? "");
  if (chosen <= 0) {
    return {
      pools: ids,
      reason:
        chosen === 0
          ? `hash: the key on ${loadBalancer.splitOn} picks ${ids[0]} (weighted by poolWeights)`
          : "hash: every pool weighs 0; pools in configured order",
    };
  }
  const pools = [ids[chosen]!];
  for (let i = 0; i < ids.length; i++) if (i !== chosen) pools.push(ids[i]!);
  return {
    pools,
    reason: `hash: the key on ${loadBalancer.splitOn} picks ${ids[chosen]} (weighted by poolWeights); the others follow in configured order`,
  };
};

const POLICIES: Record<Steering, SteeringPolicy> = {
  failover: failoverSteering,
  random: randomSteering,
  geo: geoSteering,
  least_connections: leastConnectionsSteering,
  hash: hashSteering,
};

/**
 * The preference order of `loadBalancer`'s pools for one request.
 * @example steeringOrder(lb, { random: Math.random, location: { country: "DE", continent: "EU" } }).pools[0]
 */
export function steeringOrder(loadBalancer: LoadBalancer, context: SteeringContext): SteeringOrder {
  const policy = POLICIES[loadBalancer.steering] ?? failoverSteering;
  const order = policy(loadBalancer, context);
  const override = context.overridePool;
  if (!override || order.pools[0] === override || !loadBalancer.pools.includes(override)) return order;
  return {
    pools: [override, ...order.pools.filter((id) => id !== override)],
    reason: `${loadBalancer.poolOverrideHeader ?? "override header"} names ${override}; then ${order.reason}`,
  };
}

function poolWeight(weights: Readonly<Record<string, number>>, id: string): number {
  const weight = Object.hasOwn(weights, id) ? weights[id]! : 1;
  return Number.isFinite(weight) && weight > 0 ? weight : 0;
}

/**
 * `ids` in the order of successive weighted draws without replacement; ids of weight 0 follow in
 * their given order. Pools are at most 20, so the quadratic walk costs less than a sort would.
 */
export function weightedOrder(
  ids: readonly string[],
  weights: readonly number[],
  random: () => number,
): string[] {
  const left = weights.slice();
  let total = 0;
  let remaining = 0;
  for (const weight of left) {
    if (weight > 0) {
      total += weight;
      remaining++;
    }
  }
  const order: string[] = [];
  while (remaining > 0) {
    let target = random() * total;
    let pick = -1;
    for (let i = 0; i < left.length; i++) {
      const weight = left[i]!;
      if (!(weight > 0)) continue;
      pick = i;
      target -= weight;
      if (target < 0) break;
    }
    // Rounding may leave a sliver of the total unspent: it belongs to the last weighted id.
    order.push(ids[pick]!);
    total -= left[pick]!;
    left[pick] = 0;
    remaining--;
  }
  for (let i = 0; i < ids.length; i++) if (!(weights[i]! > 0)) order.push(ids[i]!);
  return order;
}
