/**
 * `least_request`: power of two random choices (Envoy's default). Pure: no runtime imports.
 *
 * Two distinct candidates are drawn at random in proportion to their weights, and the one with fewer
 * in-flight requests per unit of weight wins; on a tie the first drawn wins, which is itself a
 * weighted random draw, so idle pools split exactly by weight. Sampling instead of scanning for the
 * minimum is what makes this robust to stale counts: a lightly loaded origin wins most of its duels
 * but never receives all the traffic at once, and a heavily loaded one still gets a share.
 */
import type { Balancer, Candidate, PickInput } from "./types.ts";

/**
 * Builds a power-of-two-choices balancer; it keeps no state between picks.
 * @example createLeastRequestBalancer().pick({ candidates, random: Math.random })
 */
export function createLeastRequestBalancer(): Balancer {
  return { pick: ({ candidates, random }: PickInput) => pickOfTwo(candidates, random) };
}

function pickOfTwo(candidates: readonly Candidate[], random: () => number): Candidate | undefined {
  const count = candidates.length;
  if (count <= 1) return candidates[0];
  let total = 0;
  let equal = true;
  const firstWeight = share(candidates[0]!);
  for (let i = 0; i < count; i++) {
    const weight = share(candidates[i]!);
    total += weight;
    if (weight !== firstWeight) equal = false;
  }
  let a: number;
  let b: number;
  if (equal || !(total > 0) || !Number.isFinite(total)) {
    a = Math.min(count - 1, Math.floor(random() * count));
    b = Math.min(count - 2, Math.floor(random() * (count - 1)));
    if (b >= a) b++;
  } else {
    a = weightedIndex(candidates, total, random(), -1);
    const rest = total - share(candidates[a]!);
    b = rest > 0 ? weightedIndex(candidates, rest, random(), a) : (a + 1) % count;
  }
  const first = candidates[a]!;
  const second = candidates[b]!;
  return load(second) < load(first) ? second : first;
}

/** The weight a candidate is sampled with: its weight when positive and finite, else 0. */
function share(candidate: Candidate): number {
  const weight = candidate.weight;
  return weight > 0 && Number.isFinite(weight) ? weight : 0;
}

function load(candidate: Candidate): number {
  return share(candidate) > 0 ? Math.max(0, candidate.inflight) / candidate.weight : Number.POSITIVE_INFINITY;
}

/** Index drawn in proportion to weight, skipping `skip`; `total` is the sum of the weights drawn from. */
function weightedIndex(
  candidates: readonly Candidate[],
  total: number,
  uniform: number,
  skip: number,
): number {
  let target = uniform * total;
  let last = -1;
  for (let i = 0; i < candidates.length; i++) {
    if (i === skip) continue;
    const weight = share(candidates[i]!);
    if (weight === 0) continue;
    last = i;
    target -= weight;
    if (target < 0) return i;
  }
  // Floating-point rounding left a sliver of `total` unspent: it belongs to the last weighted one.
  return last;
}
