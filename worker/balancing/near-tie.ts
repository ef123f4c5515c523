/**
 * The selection shared by the scoring algorithms (least_connections, least_time): score every
 * candidate, then draw among those within a relative tolerance of the best score, in proportion to
 * their weights. Pure: no runtime imports.
 *
 * Scores come from estimates that many edges share (in-flight sums, latency averages refreshed about
 * once a second); always taking the exact minimum would send every edge's next requests to the same
 * origin until the next refresh, so near-ties are broken at random.
 */
import type { Balancer, Candidate, PickInput } from "./types.ts";

/** Scores within this fraction above the lowest count as a tie. */
export const NEAR_TIE_TOLERANCE = 0.1;

/** Absorbs floating-point noise so that equal scores computed differently still tie. */
const EPSILON = 1e-9;

/**
 * Fills `scores[i]` with the score of `candidates[i]` (lower is better; NaN or infinite for a
 * candidate that should only win when every one does) and returns the lowest finite score.
 */
export type ScoreCandidates = (candidates: readonly Candidate[], scores: Float64Array) => number;

/**
 * A stateless balancer that picks near the lowest score.
 * @example createScoredBalancer(0.1, (candidates, scores) => { ...; return best; })
 */
export function createScoredBalancer(tolerance: number, score: ScoreCandidates): Balancer {
  return {
    pick({ candidates, random }: PickInput): Candidate | undefined {
      if (candidates.length <= 1) return candidates[0];
      const scores = scoreBuffer(candidates.length);
      const best = score(candidates, scores);
      return pickNearLowest(candidates, scores, best, tolerance, random);
    },
  };
}

let scratch = new Float64Array(64);

/**
 * A reusable score buffer of at least `count` entries. Picks are synchronous, so one buffer per
 * isolate serves every request; it holds no request data past the pick that fills it.
 */
function scoreBuffer(count: number): Float64Array {
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
