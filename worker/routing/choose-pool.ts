/**
 * Choosing the pool that serves a request: the pool a session-affinity pin names while it can serve
 * the pinned origin, else the steering policy's order, the first pool in it that can serve, else the
 * fallback pool (its health ignored), else none. Pure: whether a pool can serve (beyond being
 * enabled) is an input, so the same code runs at the edge, in the explain endpoint and in tests.
 *
 * A pin outranks steering: a client pinned to an origin stays on it while that origin is usable,
 * even after steering would prefer another pool (e.g. the primary pool of `failover` recovered).
 * That is what affinity promises; a pin names only a pool of this load balancer's `pools`.
 */
import type { LoadBalancer, Pool } from "../config/schema.ts";
import { type SteeringContext, steeringOrder } from "./steering.ts";

export type PoolAssessment = { readonly usable: true } | { readonly usable: false; readonly reason: string };

export interface PoolChoiceInput {
  readonly loadBalancer: LoadBalancer;
  /** All pools of the configuration by id. */
  readonly pools: ReadonlyMap<string, Pool>;
  /** Whether an enabled pool can serve now (e.g. has a usable origin) and, if not, why. */
  readonly assess: (pool: Pool) => PoolAssessment;
  readonly steering: SteeringContext;
  /** The pool a session-affinity pin names, and whether that pool can serve the pinned origin now. */
  readonly pinned?: { readonly pool: string; readonly accepts: (pool: Pool) => boolean } | null | undefined;
}

export const POOL_VERDICTS = ["chosen", "skipped"] as const;
/** How the serving pool was reached. */
export const POOL_VIA = ["affinity", "steering", "fallback", "none"] as const;

/** One step of the decision, for the explain endpoint. */
export interface PoolConsidered {
  readonly pool: string;
  readonly verdict: (typeof POOL_VERDICTS)[number];
  readonly reason: string;
}

export interface PoolChoice {
  /** The pool that serves, or null when none can (the proxy answers 503). */
  readonly pool: Pool | null;
  readonly via: (typeof POOL_VIA)[number];
  /** Why the steering policy ordered the pools as it did. */
  readonly steering: string;
  /** Every pool looked at, in order, with the verdict and its reason. */
  readonly considered: readonly PoolConsidered[];
}

/**
 * Picks the pool for one request.
 * @example
 * const choice = choosePool({ loadBalancer, pools, assess: (p) => ({ usable: p.enabled }), steering: { random: Math.random } });
 * choice.pool?.id; // "web-eu"
 */
export function choosePool(input: PoolChoiceInput): PoolChoice {
  const { loadBalancer, pools, assess, pinned } = input;
  const considered: PoolConsidered[] = [];
  if (pinned && loadBalancer.pools.includes(pinned.pool)) {
    const pool = pools.get(pinned.pool);
    if (pool?.enabled && pinned.accepts(pool)) {
      considered.push({
        pool: pool.id,
        verdict: "chosen",
        reason: "session affinity: the pinned origin is usable",
      });
      return { pool, via: "affinity", steering: "session affinity pins this pool", considered };
    }
    considered.push({
      pool: pinned.pool,
      verdict: "skipped",
      reason: "session affinity: the pinned origin is not usable; steering decides",
    });
  }
  const order = steeringOrder(loadBalancer, input.steering);
  const ids = order.pools;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string;
    // A pool listed twice counts once. Lists are short (at most 20 pools): no set to allocate.
    if (ids.indexOf(id) < i) continue;
    const pool = pools.get(id);
    if (!pool) {
      considered.push({ pool: id, verdict: "skipped", reason: "pool does not exist" });
      continue;
    }
    const assessment: PoolAssessment = pool.enabled
      ? assess(pool)
      : { usable: false, reason: "pool is disabled" };
    if (assessment.usable) {
      considered.push({ pool: id, verdict: "chosen", reason: "first pool in order that can serve" });
      return { pool, via: "steering", steering: order.reason, considered };
    }
    considered.push({ pool: id, verdict: "skipped", reason: assessment.reason });
  }
  const fallbackId = loadBalancer.fallbackPool;
  const fallback = fallbackId ? pools.get(fallbackId) : undefined;
  if (fallbackId && fallback) {
    considered.push({ pool: fallbackId, verdict: "chosen", reason: "fallback pool; its health is ignored" });
    return { pool: fallback, via: "fallback", steering: order.reason, considered };
  }
  if (fallbackId)
    considered.push({ pool: fallbackId, verdict: "skipped", reason: "fallback pool does not exist" });
  return { pool: null, via: "none", steering: order.reason, considered };
}
