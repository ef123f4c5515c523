/**
 * A deterministic stand-in for `Math.random`, so tests of random choices see the same draws on
 * every run.
 */

/**
 * mulberry32: uniform numbers in [0, 1) from a 32-bit seed.
 * @example const random = seeded(42); balancer.pick({ candidates, random });
 */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
