/**
 * How `/status` says a split load balancer divides its traffic: the shares follow what steering does
 * request by request (checked against many real steering decisions), and a pool that cannot serve
 * hands its share on the way steering does.
 */
import { describe, expect, it } from "vitest";
import {
  type LoadBalancer,
  type LoadBalancerInput,
  LoadBalancerSchema,
} from "../../../worker/config/schema.ts";
import { compileSplit, splitIndex } from "../../../worker/routing/hash-split.ts";
import { splitShares } from "../../../worker/routing/split-shares.ts";
import { steeringOrder } from "../../../worker/routing/steering.ts";

function lb(input: Partial<LoadBalancerInput>): LoadBalancer {
  return {
    ...LoadBalancerSchema.parse({
      id: "x",
      hostname: "x.test",
      pools: ["stable", "canary", "spare"],
      ...input,
    }),
    version: 1,
  };
}

const ALL = () => true;

describe("splitShares", () => {
  it("is null for steering that does not split", () => {
    expect(splitShares(lb({ steering: "failover" }), ALL)).toBeNull();
    expect(splitShares(lb({ steering: "least_connections" }), ALL)).toBeNull();
  });

  it("divides by poolWeights (absent: 1), largest first", () => {
    const balancer = lb({ steering: "hash", poolWeights: { stable: 90, canary: 5, spare: 5 } });
    expect(splitShares(balancer, ALL)).toEqual([
      { pool: "stable", percent: 90 },
      { pool: "canary", percent: 5 },
      { pool: "spare", percent: 5 },
    ]);
    expect(splitShares(lb({ steering: "random", pools: ["stable", "canary"] }), ALL)).toEqual([
      { pool: "stable", percent: 50 },
      { pool: "canary", percent: 50 },
    ]);
  });

  it("under hash, gives the clients of a pool that cannot serve to the first other pool that can", () => {
    const balancer = lb({ steering: "hash", poolWeights: { stable: 60, canary: 30, spare: 10 } });
    expect(splitShares(balancer, (id) => id !== "stable")).toEqual([
      { pool: "canary", percent: 90 },
      { pool: "spare", percent: 10 },
    ]);
    expect(splitShares(balancer, (id) => id !== "canary")).toEqual([
      { pool: "stable", percent: 90 },
      { pool: "spare", percent: 10 },
    ]);
  });

  it("under random, shares a pool that cannot serve out in proportion; weight 0 is a last resort", () => {
    const balancer = lb({ steering: "random", poolWeights: { stable: 60, canary: 30, spare: 0 } });
    expect(splitShares(balancer, (id) => id !== "stable")).toEqual([{ pool: "canary", percent: 100 }]);
    expect(splitShares(balancer, (id) => id === "spare")).toEqual([{ pool: "spare", percent: 100 }]);
  });

  it("is empty when no pool can serve", () => {
    expect(splitShares(lb({ steering: "hash" }), () => false)).toEqual([]);
  });

  it("agrees with the hash steering of 20,000 client keys, a pool down or not", () => {
    const balancer = lb({ steering: "hash", poolWeights: { stable: 80, canary: 15, spare: 5 } });
    for (const down of [null, "stable", "canary"]) {
      const canServe = (id: string) => id !== down;
      const counts = new Map<string, number>();
      const split = compileSplit({}, balancer.pools, balancer.poolWeights);
      for (let i = 0; i < 20_000; i++) {
        const first = split.ids[splitIndex(split, `client-${i}`)] as string;
        const order = steeringOrder(balancer, { random: Math.random, splitKey: `client-${i}` }).pools;
        expect(order[0]).toBe(first);
        const served = order.find(canServe) as string;
        counts.set(served, (counts.get(served) ?? 0) + 1);
      }
      const shares = splitShares(balancer, canServe) ?? [];
      expect(new Set(shares.map((share) => share.pool))).toEqual(new Set(counts.keys()));
      for (const { pool, percent } of shares) {
        expect(Math.abs(((counts.get(pool) ?? 0) / 20_000) * 100 - percent)).toBeLessThan(1.5);
      }
    }
  });
});
