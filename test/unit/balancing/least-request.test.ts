import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLeastRequestBalancer } from "../../../worker/balancing/least-request.ts";
import type { Candidate } from "../../../worker/balancing/types.ts";
import { loadedCandidates, shares as sharesOf } from "./fixtures.ts";

/** The shares a fresh balancer gives, so no result depends on picks made before. */
function shares(set: readonly Candidate[], picks: number, seed = 1): number[] {
  return sharesOf(createLeastRequestBalancer(), set, picks, seed);
}

describe("least_request (power of two choices)", () => {
  it("splits an idle pool in proportion to the weights", () => {
    const set = loadedCandidates([1, 2, 3, 4].map((weight) => ({ inflight: 0, weight })));
    const observed = shares(set, 100_000);
    [0.1, 0.2, 0.3, 0.4].forEach((expected, i) => {
      expect(Math.abs(observed[i]! - expected)).toBeLessThan(0.01);
    });
  });

  it("picks the less loaded of two distinct random choices", () => {
    // Uniform weights, loads 0 < 1 < 2 < 3: each pair of distinct origins is drawn with probability
    // 1/6, and the less loaded of the pair wins, so the shares are 3/6, 2/6, 1/6 and 0.
    const set = loadedCandidates([{ inflight: 0 }, { inflight: 1 }, { inflight: 2 }, { inflight: 3 }]);
    const observed = shares(set, 100_000, 2);
    [3 / 6, 2 / 6, 1 / 6, 0].forEach((expected, i) => {
      expect(Math.abs(observed[i]! - expected)).toBeLessThan(0.01);
    });
    expect(observed[3]).toBe(0);
  });

  it("always compares two different origins: with two candidates the less loaded always wins", () => {
    const set = loadedCandidates([{ inflight: 5 }, { inflight: 3 }]);
    expect(shares(set, 10_000)).toEqual([0, 1]);
  });

  it("compares in-flight requests per unit of weight", () => {
    const set = loadedCandidates([
      { inflight: 4, weight: 4 },
      { inflight: 2, weight: 1 },
    ]);
    expect(shares(set, 10_000)).toEqual([1, 0]);
  });

  it("still gives a busy origin a share when it is not the busiest (no herding on the minimum)", () => {
    const set = loadedCandidates(Array.from({ length: 10 }, (_, i) => ({ inflight: i })));
    const observed = shares(set, 100_000, 3);
    // Origin i wins when drawn with one of the 9 - i busier origins: (9 - i) / 45 of the pairs.
    observed.forEach((share, i) => {
      expect(Math.abs(share - (9 - i) / 45)).toBeLessThan(0.01);
    });
  });

  it("returns undefined without candidates and the only candidate when there is one", () => {
    const balancer = createLeastRequestBalancer();
    expect(balancer.pick({ candidates: [], random: Math.random })).toBeUndefined();
    const set = loadedCandidates([{ inflight: 9 }]);
    expect(balancer.pick({ candidates: set, random: Math.random })).toBe(set[0]);
  });

  it("never picks anything but one of the candidates, even with random() at its extremes", () => {
    const balancer = createLeastRequestBalancer();
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ inflight: fc.nat(100), weight: fc.double({ min: 0, max: 1000, noNaN: true }) }),
          {
            minLength: 1,
            maxLength: 40,
          },
        ),
        fc.array(fc.constantFrom(0, 0.5, 0.999_999_999_999, 1 - Number.EPSILON / 2), {
          minLength: 2,
          maxLength: 2,
        }),
        (specs, draws) => {
          const set = loadedCandidates(specs);
          let k = 0;
          const picked = balancer.pick({ candidates: set, random: () => draws[k++ % draws.length]! });
          expect(set).toContain(picked);
        },
      ),
    );
  });
});
