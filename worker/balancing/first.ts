/**
 * `first`: always the first usable origin in the pool's listed order (active/passive failover within
 * one pool: list the preferred origin first). Pure: no runtime imports.
 */
import type { Balancer, Candidate, PickInput } from "./types.ts";

/**
 * Builds a first-available balancer.
 * @example createFirstBalancer().pick({ candidates, random: Math.random }) // lowest `index`
 */
export function createFirstBalancer(): Balancer {
  return { pick: ({ candidates }: PickInput) => firstListed(candidates) };
}

/** The candidate with the lowest pool index; candidates normally arrive in pool order already. */
function firstListed(candidates: readonly Candidate[]): Candidate | undefined {
  let first = candidates[0];
  for (let i = 1; i < candidates.length; i++) {
    const candidate = candidates[i]!;
    if (candidate.index < first!.index) first = candidate;
  }
  return first;
}
