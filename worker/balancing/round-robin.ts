/**
 * `round_robin`: smooth weighted round robin, the algorithm of nginx's upstream module. Pure.
 *
 * Each pick adds every candidate's weight to its running score, takes the highest score (the first
 * one on a tie) and subtracts the sum of the weights from the winner. Over any window of
 * `sum(weights)` picks each origin is chosen exactly `weight` times, spread out rather than in
 * bursts: weights 5, 1, 1 give a a b a c a a. Origins left out of a pick (unusable, or already
 * tried by this request) keep their score. Scores live in the balancer, one per pool version per
 * isolate.
 */
import type { Balancer, Candidate, PickInput } from "./types.ts";

/**
 * Builds a smooth weighted round-robin balancer with its own scores.
 * @example const rr = createRoundRobinBalancer(); rr.pick({ candidates, random: Math.random });
 */
export function createRoundRobinBalancer(): Balancer {
  // Indexed by Candidate.index, which is stable for a pool version.
  const scores: number[] = [];
  /** The winner of a pick; with `commit` the scores move on as the pick requires. */
  const choose = (candidates: readonly Candidate[], commit: boolean): Candidate | undefined => {
    if (candidates.length <= 1) return candidates[0];
    let best: Candidate | undefined;
    let bestScore = Number.NEGATIVE_INFINITY;
    let total = 0;
    for (let i = 0; i < candidates.length; i++) {
      const candidate = candidates[i] as Candidate;
      const score = (scores[candidate.index] ?? 0) + candidate.weight;
      if (commit) scores[candidate.index] = score;
      total += candidate.weight;
      if (score > bestScore) {
        best = candidate;
        bestScore = score;
      }
    }
    if (commit && best) scores[best.index] = bestScore - total;
    return best;
  };
  return {
    pick: ({ candidates }: PickInput) => choose(candidates, true),
    peek: ({ candidates }: PickInput) => choose(candidates, false),
  };
}
