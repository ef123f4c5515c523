/**
 * `least_connections`: the candidate with the fewest in-flight requests per unit of weight. Pure.
 *
 * The in-flight counts are an estimate (the last global sum from the PoolState snapshot plus this
 * isolate's change since), the same stale estimate at many edges at once. Always taking the exact
 * minimum would send every edge's next requests to the same origin until the next snapshot. So all
 * candidates whose load is within `NEAR_TIE_TOLERANCE` (10 %) of the lowest count as tied, and one of
 * them is drawn at random in proportion to its weight, which keeps long-run shares proportional to the
 * weights among equally loaded origins. The tolerance is relative: an idle origin (load 0) ties only
 * with other idle origins, so it is always preferred to a busy one.
 */
import type { Balancer, Candidate, PickInput } from "./types.ts";

/** Loads within this fraction above the lowest count as a tie. */
export const NEAR_TIE_TOLERANCE = 0.1;

/** Absorbs floating-point noise so that equal loads computed differently still tie. */
const EPSILON = 1e-9;

export interface LeastConnectionsOptions {
  /** Relative near-tie tolerance, >= 0; default `NEAR_TIE_TOLERANCE`. */
  readonly tolerance?: number;
}

/**
 * Builds a least-connections balancer; it keeps no state between picks.
 * @example createLeastConnectionsBalancer().pick({ candidates, random: Math.random })
 */
export function createLeastConnectionsBalancer(options: LeastConnectionsOptions = {}): Balancer {
  const tolerance = options.tolerance ?? NEAR_TIE_TOLERANCE;
  return {
    pick({ candidates, random }: PickInput): Candidate | undefined {
      const count = candidates.length;
      if (count <= 1) return candidates[0];
      const scores = scoreBuffer(count);
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < count; i++) {
        const candidate = candidates[i]!;
        const weight = candidate.weight;
        const inflight = candidate.inflight;
        // Without a weight a candidate counts as infinitely loaded.
        const score = weight > 0 ? Math.max(inflight, 0) / weight : Number.POSITIVE_INFINITY;
        scores[i] = score;
        if (score < best) best = score;
      }
      return pickNearLowest(candidates, scores, best, tolerance, random);
    },
  };
}

let scratch = new Float64Array(64);

/**
 * A reusable score buffer of at least `count` entries. Picks are synchronous, so one buffer per
 * isolate serves every request; it holds no request data past the pick that fills it.
 */
export function scoreBuffer(count: number): Float64Array {
  if (scratch.length < count) scratch = new Float64Array(Math.max(count, scratch.length * 2));
  return scratch;
}

/**
 * Picks among the candidates whose score (`scores[i]` for `candidates[i]`) is within `tolerance`
 * (relative) of `best`, the lowest score, at random in proportion to their weights. NaN scores count
 * as the worst; when every score is infinite, all candidates tie.
 * @example pickNearLowest(candidates, Float64Array.of(0, 2, 0), 0, 0.1, Math.random) // first or third
 */
export function pickNearLowest(
  candidates: readonly Candidate[],
  scores: Float64Array,
  best: number,
  tolerance: number,
  random: () => number,
): Candidate | undefined {
  const count = candidates.length;
  if (count <= 1) return candidates[0];
  const limit = Number.isFinite(best)
    ? best + Math.abs(best) * tolerance + EPSILON
    : Number.POSITIVE_INFINITY;
  let total = 0;
  let tied = 0;
  for (let i = 0; i < count; i++) {
    if (!(scores[i]! <= limit)) continue;
    tied++;
    const weight = candidates[i]!.weight;
    if (weight > 0) total += weight;
  }
  if (tied === 0) return candidates[Math.min(count - 1, Math.floor(random() * count))];
  // Without any positive weight among the tied, draw uniformly among them.
  const uniform = !(total > 0 && Number.isFinite(total));
  let target = random() * (uniform ? tied : total);
  let last: Candidate | undefined;
  for (let i = 0; i < count; i++) {
    if (!(scores[i]! <= limit)) continue;
    const candidate = candidates[i]!;
    if (!uniform && !(candidate.weight > 0)) continue;
    const share = uniform ? 1 : candidate.weight;
    last = candidate;
    target -= share;
    if (target < 0) return candidate;
  }
  // Floating-point rounding left a sliver of the total unspent: it belongs to the last tied one.
  return last;
}
