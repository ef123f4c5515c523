import { describe, expect, it } from "vitest";
import { createFirstBalancer } from "../../../worker/balancing/first.ts";
import type { Candidate } from "../../../worker/balancing/types.ts";

function candidate(name: string, index: number): Candidate {
  return { name, index, weight: 1, inflight: 0, latencyMs: null };
}

describe("first", () => {
  const balancer = createFirstBalancer();

  it("picks the first usable origin in the pool's listed order", () => {
    const set = [candidate("b", 1), candidate("c", 2), candidate("d", 3)];
    for (const uniform of [0, 0.5, 0.99])
      expect(balancer.pick({ candidates: set, random: () => uniform })).toBe(set[0]);
  });

  it("goes by pool index, not by the order the candidates come in", () => {
    const set = [candidate("d", 3), candidate("b", 1), candidate("c", 2)];
    expect(balancer.pick({ candidates: set, random: Math.random })?.name).toBe("b");
  });

  it("ignores load and latency", () => {
    const set = [
      { ...candidate("a", 0), inflight: 1000, latencyMs: 5000 },
      { ...candidate("b", 1), latencyMs: 1 },
    ];
    expect(balancer.pick({ candidates: set, random: Math.random })?.name).toBe("a");
  });

  it("returns undefined without candidates", () => {
    expect(balancer.pick({ candidates: [], random: Math.random })).toBeUndefined();
  });
});
