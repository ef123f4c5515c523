/**
 * `least_connections`: the candidate with the fewest in-flight requests per unit of weight. Pure.
 *
 * The in-flight counts are an estimate (the last global sum from the PoolState snapshot plus this
 * isolate's change since), the same stale estimate at many edges at once. So all candidates whose
 * load is within `NEAR_TIE_TOLERANCE` (10 %) of the lowest count as tied, and one of them is drawn at
 * random in proportion to its weight (near-tie.ts), which keeps long-run shares proportional to the
 * weights among equally loaded origins. The tolerance is relative: an idle origin (load 0) ties only
 * with other idle origins, so it is always preferred to a busy one.
 */
import { createScoredBalancer, NEAR_TIE_TOLERANCE } from "./near-tie.ts";
import type { Balancer } from "./types.ts";

export interface LeastConnectionsOptions {
  /** Relative near-tie tolerance, >= 0; default `NEAR_TIE_TOLERANCE`. */
  readonly tolerance?: number;
}

/**
 * Builds a least-connections balancer; it keeps no state between picks.
 * @example createLeastConnectionsBalancer().pick({ candidates, random: Math.random })
 */
export function createLeastConnectionsBalancer(options: LeastConnectionsOptions = {}): Balancer {
  return createScoredBalancer(options.tolerance ?? NEAR_TIE_TOLERANCE, (candidates, scores) => {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < candidates.length; i++) {
      const { weight, inflight } = candidates[i]!;
      // Without a weight a candidate counts as infinitely loaded.
      const score = weight > 0 ? Math.max(inflight, 0) / weight : Number.POSITIVE_INFINITY;
      scores[i] = score;
      if (score < best) best = score;
    }
    return best;
  });
}
