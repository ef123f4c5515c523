/** Candidate sets and pick statistics for the balancing algorithm tests. */
import type { Balancer, Candidate } from "../../../worker/balancing/types.ts";
import { seeded } from "../../helpers/seeded-random.ts";

/** One candidate's load; unset fields are idle (0 in flight), weight 1 and unmeasured latency. */
export interface LoadSpec {
  inflight?: number;
  weight?: number;
  latencyMs?: number | null;
}

/** Candidates named `o0`, `o1`, … with the given loads, in order. */
export function loadedCandidates(specs: readonly LoadSpec[]): Candidate[] {
  return specs.map((spec, index) => ({
    name: `o${index}`,
    index,
    weight: spec.weight ?? 1,
    inflight: spec.inflight ?? 0,
    latencyMs: spec.latencyMs ?? null,
  }));
}

/** Idle candidates named by the keys of `weights`, in order, each with its weight. */
export function weightedCandidates(weights: Record<string, number>): Candidate[] {
  return Object.entries(weights).map(([name, weight], index) => ({
    name,
    index,
    weight,
    inflight: 0,
    latencyMs: null,
  }));
}

/**
 * The share of `picks` picks each candidate of `set` got, in order, with randomness seeded by `seed`.
 * @example shares(createLeastConnectionsBalancer(), loadedCandidates([{ inflight: 1 }, {}]), 1000) // [0, 1]
 */
export function shares(balancer: Balancer, set: readonly Candidate[], picks: number, seed = 1): number[] {
  const counts = new Array<number>(set.length).fill(0);
  const random = seeded(seed);
  for (let i = 0; i < picks; i++) {
    const picked = balancer.pick({ candidates: set, random });
    counts[set.indexOf(picked!)]!++;
  }
  return counts.map((count) => count / picks);
}
