import { describe, expect, it } from "vitest";
import { createRoundRobinBalancer } from "../../../worker/balancing/round-robin.ts";
import type { Candidate } from "../../../worker/balancing/types.ts";

const candidates: Candidate[] = [
  { name: "a", index: 0, weight: 5, inflight: 0, latencyMs: null },
  { name: "b", index: 1, weight: 1, inflight: 0, latencyMs: null },
  { name: "c", index: 2, weight: 1, inflight: 0, latencyMs: null },
];

describe("round robin peek", () => {
  it("names the origin the next pick returns, and peeking does not move the rotation", () => {
    const balancer = createRoundRobinBalancer();
    const picked: string[] = [];
    for (let i = 0; i < 14; i++) {
      const next = balancer.peek?.({ candidates, random: Math.random })?.name;
      expect(balancer.peek?.({ candidates, random: Math.random })?.name).toBe(next);
      const name = balancer.pick({ candidates, random: Math.random })?.name;
      expect(name).toBe(next);
      picked.push(name!);
    }
    expect(picked.join("")).toBe("aabacaaaabacaa");
  });
});
