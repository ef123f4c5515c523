import { describe, expect, it } from "vitest";
import { createLeastRequestBalancer } from "../../../worker/balancing/least-request.ts";
import { createRandomBalancer } from "../../../worker/balancing/random.ts";
import { createRoundRobinBalancer } from "../../../worker/balancing/round-robin.ts";
import type { Candidate } from "../../../worker/balancing/types.ts";
import { explainDraw, pointsFor } from "../../../worker/routing/explain.ts";
import { weightedOrder } from "../../../worker/routing/steering.ts";

function candidate(name: string, index: number, weight: number, inflight = 0): Candidate {
  return { name, index, weight, inflight, latencyMs: null };
}

const byName = (c: Candidate | undefined) => c?.name ?? null;

describe("explainDraw", () => {
  it("gives a weighted random draw's shares in proportion to the weights", () => {
    const balancer = createRandomBalancer();
    const candidates = [candidate("a", 0, 3), candidate("b", 1, 1)];
    const draw = explainDraw((random) => balancer.pick({ candidates, random }), byName, {
      random: Math.random,
      points: 4096,
    });
    expect(draw.random).toBe(true);
    expect(draw.shares).toEqual([
      { id: "a", share: 0.75 },
      { id: "b", share: 0.25 },
    ]);
    expect(["a", "b"]).toContain(draw.sample?.name);
  });

  it("reports a decision that draws nothing as one outcome without sweeping", () => {
    const balancer = createRoundRobinBalancer();
    const candidates = [candidate("a", 0, 1), candidate("b", 1, 1)];
    let calls = 0;
    const draw = explainDraw(
      (random) => {
        calls++;
        return balancer.peek?.({ candidates, random });
      },
      byName,
      { random: Math.random, points: 4096 },
    );
    expect(calls).toBe(1);
    expect(draw).toMatchObject({ random: false, shares: [{ id: "a", share: 1 }] });
  });

  it("spreads every random number of a decision that draws several", () => {
    const balancer = createLeastRequestBalancer();
    // Idle "a" wins every duel it is drawn into: it serves unless both draws miss it.
    const candidates = [candidate("a", 0, 1), candidate("b", 1, 1, 5), candidate("c", 2, 1, 5)];
    const draw = explainDraw((random) => balancer.pick({ candidates, random }), byName, {
      random: Math.random,
      points: 4096,
    });
    const share = Object.fromEntries(draw.shares.map((s) => [s.id, s.share]));
    expect(share.a).toBeCloseTo(2 / 3, 1);
    expect((share.b ?? 0) + (share.c ?? 0)).toBeCloseTo(1 / 3, 1);
    const order = explainDraw(
      (random) => weightedOrder(["x", "y", "z"], [1, 1, 2], random)[1] ?? null,
      (id) => id,
      {
        random: Math.random,
        points: 4096,
      },
    );
    // Second place: z (weight 2 of 4) is second when x or y is drawn first.
    const second = Object.fromEntries(order.shares.map((s) => [s.id, s.share]));
    expect(second.z).toBeGreaterThan(second.x!);
    expect(order.shares.reduce((sum, s) => sum + s.share, 0)).toBeCloseTo(1, 2);
  });

  it("bounds the sweep for large pools", () => {
    expect(pointsFor(1)).toBe(4096);
    expect(pointsFor(1000)).toBeLessThan(300);
    expect(pointsFor(1_000_000)).toBe(256);
  });
});
