import { describe, expect, it } from "vitest";
import { createBalancer } from "../../../worker/balancing/index.ts";
import { createRoundRobinBalancer } from "../../../worker/balancing/round-robin.ts";
import type { Balancer, Candidate } from "../../../worker/balancing/types.ts";
import { weightedCandidates } from "./fixtures.ts";

function picks(balancer: Balancer, list: readonly Candidate[], count: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < count; i++)
    names.push(balancer.pick({ candidates: list, random: Math.random })?.name ?? "-");
  return names;
}

describe("smooth weighted round robin", () => {
  it("spreads weights 5, 1, 1 as nginx does", () => {
    const list = weightedCandidates({ a: 5, b: 1, c: 1 });
    expect(picks(createRoundRobinBalancer(), list, 14).join(" ")).toBe("a a b a c a a a a b a c a a");
  });

  it("alternates equal weights in pool order", () => {
    expect(picks(createRoundRobinBalancer(), weightedCandidates({ a: 1, b: 1, c: 1 }), 6)).toEqual([
      "a",
      "b",
      "c",
      "a",
      "b",
      "c",
    ]);
  });

  it("gives each origin exactly its weight in every window of sum(weights) picks", () => {
    const weights = { a: 3, b: 7, c: 2, d: 1 };
    const list = weightedCandidates(weights);
    const balancer = createRoundRobinBalancer();
    for (let round = 0; round < 20; round++) {
      const counts: Record<string, number> = {};
      for (const name of picks(balancer, list, 13)) counts[name] = (counts[name] ?? 0) + 1;
      expect(counts).toEqual(weights);
    }
  });

  it("repeats the cycle a b a for weights 2, 1", () => {
    const sequence = picks(createRoundRobinBalancer(), weightedCandidates({ a: 2, b: 1 }), 9);
    expect(sequence).toEqual(["a", "b", "a", "a", "b", "a", "a", "b", "a"]);
  });

  it("keeps serving the remaining origins in proportion when one leaves the rotation", () => {
    const list = weightedCandidates({ a: 1, b: 2, c: 1 });
    const balancer = createRoundRobinBalancer();
    picks(balancer, list, 3);
    const withoutB = list.filter((c) => c.name !== "b");
    const counts: Record<string, number> = {};
    for (const name of picks(balancer, withoutB, 100)) counts[name] = (counts[name] ?? 0) + 1;
    expect(counts).toEqual({ a: 50, c: 50 });
  });

  it("returns the only candidate, and nothing when there is none", () => {
    const balancer = createRoundRobinBalancer();
    expect(balancer.pick({ candidates: weightedCandidates({ solo: 4 }), random: Math.random })?.name).toBe(
      "solo",
    );
    expect(balancer.pick({ candidates: [], random: Math.random })).toBeUndefined();
  });

  it("is what createBalancer builds for round_robin, with its own state per balancer", () => {
    const list = weightedCandidates({ a: 1, b: 1 });
    const first = createBalancer("round_robin", list);
    const second = createBalancer("round_robin", list);
    expect(picks(first, list, 3)).toEqual(["a", "b", "a"]);
    expect(picks(second, list, 1)).toEqual(["a"]);
  });
});
