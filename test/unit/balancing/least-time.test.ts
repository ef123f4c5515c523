import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLeastTimeBalancer } from "../../../worker/balancing/least-time.ts";
import type { Candidate } from "../../../worker/balancing/types.ts";
import { loadedCandidates, shares as sharesOf } from "./fixtures.ts";

/** The shares a fresh balancer gives, so no result depends on picks made before. */
function shares(set: readonly Candidate[], picks: number, seed = 1): number[] {
  return sharesOf(createLeastTimeBalancer(), set, picks, seed);
}

describe("least_time", () => {
  it("prefers the fastest origin when none is busy", () => {
    expect(
      shares(loadedCandidates([{ latencyMs: 50 }, { latencyMs: 10 }, { latencyMs: 30 }]), 10_000),
    ).toEqual([0, 1, 0]);
  });

  it("weighs latency by the queue a request would join", () => {
    // Fast but busy: 10 ms × (9 + 1) = 100; slow but idle: 50 ms × 1 = 50.
    const set = loadedCandidates([
      { latencyMs: 10, inflight: 9 },
      { latencyMs: 50, inflight: 0 },
    ]);
    expect(shares(set, 10_000)).toEqual([0, 1]);
  });

  it("divides by weight", () => {
    // 40 ms on weight 8 scores 5, 10 ms on weight 1 scores 10.
    const set = loadedCandidates([
      { latencyMs: 10, weight: 1 },
      { latencyMs: 40, weight: 8 },
    ]);
    expect(shares(set, 10_000)).toEqual([0, 1]);
  });

  it("counts an unmeasured origin as fast as the best measured one, so it gets explored", () => {
    const set = loadedCandidates([{ latencyMs: 10 }, { latencyMs: null }, { latencyMs: 80 }]);
    const [a, b, c] = shares(set, 100_000);
    expect(Math.abs(a! - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(b! - 0.5)).toBeLessThan(0.01);
    expect(c).toBe(0);
  });

  it("falls back to least connections when nothing is measured", () => {
    const set = loadedCandidates([
      { latencyMs: null, inflight: 3 },
      { latencyMs: null, inflight: 1 },
    ]);
    expect(shares(set, 10_000)).toEqual([0, 1]);
  });

  it("spreads near-ties (within 10 %) at random", () => {
    const set = loadedCandidates([{ latencyMs: 10 }, { latencyMs: 10.5 }, { latencyMs: 20 }]);
    const [a, b, c] = shares(set, 100_000, 5);
    expect(Math.abs(a! - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(b! - 0.5)).toBeLessThan(0.01);
    expect(c).toBe(0);
  });

  it("counts sub-millisecond latencies as 1 ms, so the queue still matters", () => {
    // Unfloored, 0 ms × anything = 0 would win every time despite 5 requests in flight.
    const set = loadedCandidates([
      { latencyMs: 0, inflight: 5 },
      { latencyMs: 1, inflight: 0 },
    ]);
    expect(shares(set, 10_000)).toEqual([0, 1]);
  });

  it("never picks anything but one of the candidates", () => {
    const balancer = createLeastTimeBalancer();
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            latencyMs: fc.option(fc.double({ min: -10, max: 10_000 }), { nil: null }),
            inflight: fc.nat(100),
            weight: fc.double({ min: 0, max: 1000, noNaN: true }),
          }),
          { minLength: 0, maxLength: 40 },
        ),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (specs, uniform) => {
          const set = loadedCandidates(specs);
          const picked = balancer.pick({ candidates: set, random: () => uniform });
          if (set.length === 0) expect(picked).toBeUndefined();
          else expect(set).toContain(picked);
        },
      ),
    );
  });
});
