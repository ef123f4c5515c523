import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type LoadBalancer,
  type LoadBalancerInput,
  LoadBalancerSchema,
  PoolSchema,
} from "../../../worker/config/schema.ts";
import { choosePool } from "../../../worker/routing/choose-pool.ts";
import { compileSplit, splitIndex } from "../../../worker/routing/hash-split.ts";
import { splitShares } from "../../../worker/routing/split-shares.ts";
import { steeringOrder } from "../../../worker/routing/steering.ts";

function lb(input: Partial<LoadBalancerInput>): LoadBalancer {
  return {
    ...LoadBalancerSchema.parse({
      id: "x",
      hostname: "x.test",
      pools: ["stable", "canary"],
      steering: "hash",
      ...input,
    }),
    version: 1,
  };
}

function pick(weights: Record<string, number>, key: string, pools = ["stable", "canary"]): string {
  const split = compileSplit({}, pools, weights);
  return split.ids[splitIndex(split, key)] ?? "none";
}

const users = Array.from({ length: 20_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);

describe("hash split", () => {
  it("sends each pool its weight's share of distinct keys", () => {
    const split = compileSplit({}, ["stable", "canary"], { stable: 95, canary: 5 });
    const canary = users.filter((key) => split.ids[splitIndex(split, key)] === "canary").length;
    // Binomial(20000, 0.05): standard deviation ~31; 5 of them is ~150.
    expect(Math.abs(canary - 1000)).toBeLessThan(160);
  });

  it("splits three pools by weight", () => {
    const split = compileSplit({}, ["a", "b", "c"], { a: 1, b: 2, c: 7 });
    const counts = { a: 0, b: 0, c: 0 } as Record<string, number>;
    for (const key of users) counts[split.ids[splitIndex(split, key)]!]! += 1;
    expect(Math.abs(counts.a! / users.length - 0.1)).toBeLessThan(0.012);
    expect(Math.abs(counts.b! / users.length - 0.2)).toBeLessThan(0.015);
    expect(Math.abs(counts.c! / users.length - 0.7)).toBeLessThan(0.016);
  });

  it("is the same for the same key, and a pool of weight 0 gets no key", () => {
    for (const key of users.slice(0, 500)) {
      expect(pick({ stable: 1, canary: 1 }, key)).toBe(pick({ stable: 1, canary: 1 }, key));
      expect(pick({ stable: 1, canary: 0 }, key)).toBe("stable");
    }
    expect(pick({ stable: 0, canary: 0 }, "k")).toBe("none");
  });

  it("raising a canary moves users only into the canary (5 % to 20 %, every key)", () => {
    let moved = 0;
    for (const key of users) {
      const before = pick({ stable: 95, canary: 5 }, key);
      const after = pick({ stable: 80, canary: 20 }, key);
      if (before === "canary") expect(after).toBe("canary");
      if (before !== after) moved++;
    }
    // Only the share that must move does: about 15 % of users.
    expect(Math.abs(moved / users.length - 0.15)).toBeLessThan(0.015);
  });

  it("property: raising one pool's weight and lowering others' never moves a key away from it", () => {
    const pools = ["p0", "p1", "p2", "p3"];
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.string({ minLength: 0, maxLength: 24 }), { minLength: 1, maxLength: 40 }),
        (weights, raised, raise, cuts, keys) => {
          const before = Object.fromEntries(pools.map((id, i) => [id, weights[i]!]));
          const after = Object.fromEntries(
            pools.map((id, i) => [
              id,
              i === raised ? weights[i]! + raise : Math.max(0, weights[i]! - cuts[i]!),
            ]),
          );
          const raisedOnly = Object.fromEntries(
            pools.map((id, i) => [id, i === raised ? weights[i]! + raise : weights[i]!]),
          );
          const a = compileSplit({}, pools, before);
          const b = compileSplit({}, pools, after);
          const c = compileSplit({}, pools, raisedOnly);
          for (const key of keys) {
            const was = splitIndex(a, key);
            // Keys on the raised pool stay there.
            if (was === raised) expect(splitIndex(b, key)).toBe(raised);
            // With the other weights unchanged, a key that moves at all moves to the raised pool.
            const now = splitIndex(c, key);
            if (now !== was) expect(now).toBe(raised);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("property: between two pools, any weight change moves keys only towards the pool that gained", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        fc.array(fc.string({ minLength: 0, maxLength: 24 }), { minLength: 1, maxLength: 60 }),
        (from, to, keys) => {
          const a = compileSplit({}, ["stable", "canary"], { stable: 100 - from, canary: from });
          const b = compileSplit({}, ["stable", "canary"], { stable: 100 - to, canary: to });
          const gainer = to >= from ? 1 : 0;
          for (const key of keys) {
            const was = splitIndex(a, key);
            const now = splitIndex(b, key);
            if (was !== now && was !== -1) expect(now).toBe(gainer);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("steering hash puts the key's pool first and fails over through the rest in order", () => {
    const balancer = lb({
      pools: ["stable", "canary", "spare"],
      poolWeights: { stable: 0, canary: 1, spare: 0 },
    });
    const order = steeringOrder(balancer, { random: Math.random, splitKey: "203.0.113.9" });
    expect(order.pools).toEqual(["canary", "stable", "spare"]);
    expect(order.reason).toContain("hash");
  });

  it("the override header's pool goes first, whatever the policy; unknown pools are ignored", () => {
    const balancer = lb({ poolWeights: { stable: 1, canary: 0 }, poolOverrideHeader: "X-Pool" });
    expect(balancer.poolOverrideHeader).toBe("x-pool");
    const base = { random: Math.random, splitKey: "u1" };
    expect(steeringOrder(balancer, base).pools).toEqual(["stable", "canary"]);
    expect(steeringOrder(balancer, { ...base, overridePool: "canary" }).pools).toEqual(["canary", "stable"]);
    expect(steeringOrder(balancer, { ...base, overridePool: "other" }).pools).toEqual(["stable", "canary"]);
  });
});

describe("hash steering with failover", () => {
  it("a key whose pool cannot serve goes to the load balancer's other pools in order", () => {
    const pools = new Map(
      ["stable", "canary", "spare"].map((id) => [
        id,
        { ...PoolSchema.parse({ id, origins: [{ name: "o", address: "http://127.0.0.1:9" }] }), version: 1 },
      ]),
    );
    const balancer = lb({
      pools: ["canary", "stable", "spare"],
      poolWeights: { canary: 1, stable: 0, spare: 0 },
    });
    const choose = (down: string[]) =>
      choosePool({
        loadBalancer: balancer,
        pools,
        steering: { random: Math.random, splitKey: "user-1" },
        assess: (pool) => (down.includes(pool.id) ? { usable: false, reason: "down" } : { usable: true }),
      });
    expect(choose([]).pool?.id).toBe("canary");
    const failed = choose(["canary"]);
    expect(failed.pool?.id).toBe("stable");
    expect(failed.considered.map((step) => [step.pool, step.verdict])).toEqual([
      ["canary", "skipped"],
      ["stable", "chosen"],
    ]);
    expect(choose(["canary", "stable"]).pool?.id).toBe("spare");
  });
});

/** `/status`'s `split`: the shares follow what steering does request by request, a pool down or not. */
const ALL = () => true;
const THREE = ["stable", "canary", "spare"];

describe("splitShares (the split /status shows)", () => {
  it("is null for steering that does not split", () => {
    expect(splitShares(lb({ steering: "failover" }), ALL)).toBeNull();
    expect(splitShares(lb({ steering: "least_connections" }), ALL)).toBeNull();
  });

  it("divides by poolWeights (absent: 1), largest first", () => {
    const balancer = lb({ pools: THREE, poolWeights: { stable: 90, canary: 5, spare: 5 } });
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
    const balancer = lb({ pools: THREE, poolWeights: { stable: 60, canary: 30, spare: 10 } });
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
    const balancer = lb({
      pools: THREE,
      steering: "random",
      poolWeights: { stable: 60, canary: 30, spare: 0 },
    });
    expect(splitShares(balancer, (id) => id !== "stable")).toEqual([{ pool: "canary", percent: 100 }]);
    expect(splitShares(balancer, (id) => id === "spare")).toEqual([{ pool: "spare", percent: 100 }]);
  });

  it("is empty when no pool can serve", () => {
    expect(splitShares(lb({}), () => false)).toEqual([]);
  });

  it("agrees with the hash steering of 20,000 client keys, a pool down or not", () => {
    const balancer = lb({ pools: THREE, poolWeights: { stable: 80, canary: 15, spare: 5 } });
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
