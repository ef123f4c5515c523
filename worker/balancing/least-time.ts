/**
 * `least_time`: the candidate expected to answer soonest. Pure: no runtime imports.
 *
 * Score = latencyMs × (inflight + 1) / weight: the moving-average response time, scaled by the queue
 * a new request would join, per unit of weight. Lowest wins; scores within the same relative
 * tolerance as least_connections (10 %) tie and are drawn at random by weight (near-tie.ts), so
 * edges sharing a stale view do not all rush to the single fastest origin.
 *
 * An origin with no measurement yet counts as fast as the best measured candidate: it gets traffic
 * (and so a measurement) instead of being starved by a number nobody has seen. When no candidate has
 * a measurement the score reduces to least_connections on (inflight + 1) / weight.
 */
import { createScoredBalancer, NEAR_TIE_TOLERANCE } from "./near-tie.ts";
import type { Balancer, Candidate } from "./types.ts";

/**
 * Latencies count as at least 1 ms: Workers clocks have millisecond resolution, so a measured 0 means
 * "under a millisecond", and a zero factor would make the in-flight count irrelevant.
 */
export const MIN_LATENCY_MS = 1;

export interface LeastTimeOptions {
  /** Relative near-tie tolerance, >= 0; default `NEAR_TIE_TOLERANCE`. */
  readonly tolerance?: number;
}

/**
 * Builds a least-time balancer; it keeps no state between picks (latencies come with the candidates).
 * @example createLeastTimeBalancer().pick({ candidates, random: Math.random })
 */
export function createLeastTimeBalancer(options: LeastTimeOptions = {}): Balancer {
  return createScoredBalancer(options.tolerance ?? NEAR_TIE_TOLERANCE, scoreByTime);
}

function scoreByTime(candidates: readonly Candidate[], scores: Float64Array): number {
  const count = candidates.length;
  let best = Number.POSITIVE_INFINITY;
  let fastest = Number.POSITIVE_INFINITY;
  let unmeasured = 0;
  for (let i = 0; i < count; i++) {
    const candidate = candidates[i]!;
    const weight = candidate.weight;
    if (!(weight > 0)) {
      scores[i] = Number.POSITIVE_INFINITY;
      continue;
    }
    const queue = (Math.max(candidate.inflight, 0) + 1) / weight;
    const latency = candidate.latencyMs;
    // A usable latency is finite and not negative; anything else (null, NaN) counts as unmeasured.
    if (latency !== null && latency >= 0 && latency < Number.POSITIVE_INFINITY) {
      const floored = Math.max(latency, MIN_LATENCY_MS);
      if (floored < fastest) fastest = floored;
      const score = floored * queue;
      scores[i] = score;
      if (score < best) best = score;
    } else {
      // Negative marks "queue factor of an unmeasured origin", completed below.
      scores[i] = -queue;
      unmeasured++;
    }
  }
  if (unmeasured === 0) return best;
  const assumed = fastest < Number.POSITIVE_INFINITY ? fastest : MIN_LATENCY_MS;
  for (let i = 0; i < count; i++) {
    const queue = scores[i]!;
    if (!(queue < 0)) continue;
    const score = -queue * assumed;
    scores[i] = score;
    if (score < best) best = score;
  }
  return best;
}
