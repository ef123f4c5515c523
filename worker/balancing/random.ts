/**
 * `random`: each pick draws a candidate with probability proportional to its weight. Pure and
 * stateless; the randomness comes from the injected `random()`.
 */
import type { Balancer, Candidate, PickInput } from "./types.ts";

/**
 * Builds a weighted random balancer.
 * @example createRandomBalancer().pick({ candidates, random: Math.random })
 */
export function createRandomBalancer(): Balancer {
  return { pick: pickWeightedRandom };
}

/** Draws one candidate in proportion to its weight; undefined when there are none. */
export function pickWeightedRandom({ candidates, random }: PickInput): Candidate | undefined {
  if (candidates.length <= 1) return candidates[0];
  let total = 0;
  for (const candidate of candidates) total += candidate.weight;
  let target = random() * total;
  for (const candidate of candidates) {
    target -= candidate.weight;
    if (target < 0) return candidate;
  }
  // Floating-point rounding can leave a sliver past the last weight: it belongs to the last one.
  return candidates[candidates.length - 1];
}
