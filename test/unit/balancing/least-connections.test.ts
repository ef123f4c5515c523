import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLeastConnectionsBalancer } from "../../../worker/balancing/least-connections.ts";
import type { Candidate } from "../../../worker/balancing/types.ts";
import { seeded } from "../../helpers/seeded-random.ts";
import { loadedCandidates, shares } from "./fixtures.ts";

describe("least_connections", () => {
  const balancer = createLeastConnectionsBalancer();

  it("sends every request to the idle origin while the others are busy", () => {
    const set = loadedCandidates([{ inflight: 5 }, { inflight: 0 }, { inflight: 3 }]);
    expect(shares(balancer, set, 10_000)).toEqual([0, 1, 0]);
  });

  it("compares in-flight requests per unit of weight", () => {
    // 10 in flight on weight 10 is a load of 1; 2 on weight 1 is a load of 2.
    const set = loadedCandidates([
      { inflight: 10, weight: 10 },
      { inflight: 2, weight: 1 },
    ]);
    expect(shares(balancer, set, 1000)).toEqual([1, 0]);
  });

  it("spreads near-ties (within 10 %) at random instead of herding onto one origin", () => {
    const set = loadedCandidates([{ inflight: 100 }, { inflight: 105 }, { inflight: 200 }]);
    const [a, b, c] = shares(balancer, set, 100_000);
    expect(Math.abs(a! - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(b! - 0.5)).toBeLessThan(0.01);
    expect(c).toBe(0);
  });

  it("does not treat loads beyond the tolerance as ties", () => {
    const set = loadedCandidates([{ inflight: 100 }, { inflight: 111 }]);
    expect(shares(balancer, set, 10_000)).toEqual([1, 0]);
  });

  it("honours a custom tolerance (0 = strict minimum)", () => {
    const strict = createLeastConnectionsBalancer({ tolerance: 0 });
    const set = loadedCandidates([{ inflight: 100 }, { inflight: 105 }]);
    expect(shares(strict, set, 10_000)).toEqual([1, 0]);
  });

  it("splits equally loaded origins in proportion to their weights", () => {
    const set = loadedCandidates([
      { inflight: 0, weight: 1 },
      { inflight: 0, weight: 2 },
      { inflight: 0, weight: 3 },
    ]);
    const observed = shares(balancer, set, 100_000);
    [1 / 6, 2 / 6, 3 / 6].forEach((expected, i) => {
      expect(Math.abs(observed[i]! - expected)).toBeLessThan(0.01);
    });
  });

  it("spreads many edges acting on the same stale view over all equally loaded origins", () => {
    const set = loadedCandidates(Array.from({ length: 10 }, () => ({ inflight: 7 })));
    const observed = shares(balancer, set, 100_000, 7);
    for (const share of observed) expect(Math.abs(share - 0.1)).toBeLessThan(0.01);
  });

  it("returns undefined without candidates and the only candidate when there is one", () => {
    expect(balancer.pick({ candidates: [], random: Math.random })).toBeUndefined();
    const [only] = loadedCandidates([{ inflight: 1000 }]);
    expect(balancer.pick({ candidates: [only!], random: Math.random })).toBe(only);
  });

  it("never picks anything but one of the candidates, and one of the least loaded", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ inflight: fc.nat(1000), weight: fc.integer({ min: 1, max: 1000 }) }), {
          minLength: 1,
          maxLength: 50,
        }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (specs, uniform) => {
          const set = loadedCandidates(specs);
          const picked = balancer.pick({ candidates: set, random: () => uniform });
          expect(set).toContain(picked);
          const best = Math.min(...set.map((c) => c.inflight / c.weight));
          expect(picked!.inflight / picked!.weight).toBeLessThanOrEqual(best * 1.1 + 1e-9);
        },
      ),
    );
  });

  it("survives odd inputs (zero weight, NaN, negative counts) without leaving the candidates", () => {
    const set: Candidate[] = [
      { name: "a", index: 0, weight: 0, inflight: 0, latencyMs: null },
      { name: "b", index: 1, weight: 1, inflight: -3, latencyMs: null },
      { name: "c", index: 2, weight: 1, inflight: Number.NaN, latencyMs: null },
    ];
    const random = seeded(3);
    for (let i = 0; i < 1000; i++) expect(set).toContain(balancer.pick({ candidates: set, random }));
    const weightless = set.map((c) => ({ ...c, weight: 0 }));
    for (let i = 0; i < 100; i++)
      expect(weightless).toContain(balancer.pick({ candidates: weightless, random }));
  });
});
