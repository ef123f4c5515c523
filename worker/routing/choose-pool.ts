/**
 * Choosing the pool that serves a request: the steering policy's order, the first pool in it that
 * can serve, else the fallback pool (its health ignored), else none. Pure: whether a pool can serve
 * (beyond being enabled) is an input, so the same code runs at the edge, in the explain endpoint and in tests.
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
}

/** One step of the decision, for the explain endpoint. */
export interface PoolConsidered {
  readonly pool: string;
  readonly verdict: "chosen" | "skipped";
  readonly reason: string;
}

export interface PoolChoice {
  /** The pool that serves, or null when none can (the proxy answers 503). */
  readonly pool: Pool | null;
  readonly via: "steering" | "fallback" | "none";
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
  const { loadBalancer, pools, assess } = input;
  const order = steeringOrder(loadBalancer, input.steering);
  const considered: PoolConsidered[] = [];
  const seen = new Set<string>();
  for (const id of order.pools) {
    if (seen.has(id)) continue;
    seen.add(id);
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
