/**
 * The one small interface every balancing algorithm implements. Pure: no runtime imports.
 *
 * A `Balancer` is built once per pool version (it may precompute tables over all of the pool's
 * origins, e.g. a hash ring) and then asked, per request, to pick among the origins that are usable
 * right now. Keeping the full origin list at build time lets `hash` skip an unusable origin without
 * remapping everybody else's keys.
 */

/** An origin as the algorithm sees it at the moment of a pick. */
export interface Candidate {
  /** Origin name, unique within the pool. */
  readonly name: string;
  /** Position in the pool's `origins` list (stable for a pool version). */
  readonly index: number;
  /** Effective weight (> 0): configured weight, scaled down during slow start. */
  readonly weight: number;
  /** Best estimate of in-flight requests to this origin across all edges (global sum + local delta). */
  readonly inflight: number;
  /** Moving average of response time in ms; null when not yet measured. */
  readonly latencyMs: number | null;
}

export interface PickInput {
  /** Usable origins only (healthy, enabled, not ejected, weight > 0, under maxConnections), in pool order. */
  readonly candidates: readonly Candidate[];
  /** Key for consistent hashing (algorithm "hash"); undefined hashes as the empty string. */
  readonly key?: string | undefined;
  /** Uniform random number in [0, 1); injected so tests are deterministic. */
  readonly random: () => number;
}

export interface Balancer {
  /** Returns one of `input.candidates`, or undefined when there are none. */
  pick(input: PickInput): Candidate | undefined;
  /**
   * What `pick` would return for `input` now, without moving the balancer's state, so a decision
   * can be explained without changing the next one. Only balancers that keep state between picks
   * define it; for the others `pick` itself changes nothing.
   */
  peek?(input: PickInput): Candidate | undefined;
}

/** The origins of a pool as configured, for algorithms that precompute (hash tables). */
export interface BalancerOrigin {
  readonly name: string;
  readonly weight: number;
}
