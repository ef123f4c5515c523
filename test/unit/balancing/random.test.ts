import { describe, expect, it } from "vitest";
import { createBalancer } from "../../../worker/balancing/index.ts";
import { createRandomBalancer } from "../../../worker/balancing/random.ts";
import { seeded } from "../../helpers/seeded-random.ts";
import { weightedCandidates } from "./fixtures.ts";

describe("weighted random", () => {
  it("picks each origin in proportion to its weight, within 1.5 percentage points over 20,000 picks", () => {
    const weights = { a: 6, b: 3, c: 1 };
    const list = weightedCandidates(weights);
    const random = seeded(42);
    const balancer = createRandomBalancer();
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    const total = 20_000;
    for (let i = 0; i < total; i++) {
      const name = balancer.pick({ candidates: list, random })?.name ?? "-";
      counts[name] = (counts[name] ?? 0) + 1;
    }
    for (const [name, weight] of Object.entries(weights)) {
      expect(Math.abs((counts[name] ?? 0) / total - weight / 10)).toBeLessThan(0.015);
    }
  });

  it("maps the random number onto the weights in order", () => {
    const list = weightedCandidates({ a: 1, b: 3 });
    const balancer = createBalancer("random", list);
    expect(balancer.pick({ candidates: list, random: () => 0 })?.name).toBe("a");
    expect(balancer.pick({ candidates: list, random: () => 0.24 })?.name).toBe("a");
    expect(balancer.pick({ candidates: list, random: () => 0.25 })?.name).toBe("b");
    expect(balancer.pick({ candidates: list, random: () => 0.999_999 })?.name).toBe("b");
  });

  it("returns the only candidate, and nothing when there is none", () => {
    const balancer = createRandomBalancer();
    expect(balancer.pick({ candidates: weightedCandidates({ solo: 2 }), random: () => 0.5 })?.name).toBe(
      "solo",
    );
    expect(balancer.pick({ candidates: [], random: () => 0.5 })).toBeUndefined();
  });
});
