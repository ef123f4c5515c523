import { describe, expect, it } from "vitest";
import {
  type LoadBalancer,
  type LoadBalancerInput,
  LoadBalancerSchema,
  type Pool,
  PoolSchema,
} from "../../../worker/config/schema.ts";
import { choosePool, type PoolAssessment } from "../../../worker/routing/choose-pool.ts";
import { geoPreference } from "../../../worker/routing/geo.ts";
import { steeringOrder, weightedOrder } from "../../../worker/routing/steering.ts";
import { seeded } from "../../helpers/seeded-random.ts";

function lb(input: Partial<LoadBalancerInput>): LoadBalancer {
  return {
    ...LoadBalancerSchema.parse({ id: "x", hostname: "x.test", pools: ["a", "b", "c"], ...input }),
    version: 1,
  };
}

function pool(id: string): Pool {
  return { ...PoolSchema.parse({ id, origins: [{ name: "o", address: "http://127.0.0.1:9" }] }), version: 1 };
}

const POOLS = new Map(["a", "b", "c", "d"].map((id) => [id, pool(id)]));

/** A seeded generator (mulberry32), so the proportions below are the same on every run. */
function shares(picks: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of picks) counts[id] = (counts[id] ?? 0) + 1 / picks.length;
  return counts;
}

function choose(
  loadBalancer: LoadBalancer,
  options: {
    random?: () => number;
    down?: readonly string[];
    inflight?: Record<string, number>;
    location?: { country: string | null; continent: string | null };
  } = {},
) {
  const down = new Set(options.down ?? []);
  const assess = (p: Pool): PoolAssessment =>
    down.has(p.id) ? { usable: false, reason: "no usable origin" } : { usable: true };
  return choosePool({
    loadBalancer,
    pools: POOLS,
    assess,
    steering: {
      random: options.random ?? Math.random,
      location: options.location,
      poolInflight: (id) => (down.has(id) ? null : (options.inflight?.[id] ?? 0)),
    },
  });
}

describe("random steering", () => {
  it("sends traffic in proportion to poolWeights", () => {
    const random = seeded(1);
    const balancer = lb({ steering: "random", poolWeights: { a: 6, b: 3, c: 1 } });
    const picks = Array.from({ length: 20_000 }, () => choose(balancer, { random }).pool!.id);
    const share = shares(picks);
    // Standard deviation of a share over 20,000 draws is at most 0.0036: ±0.02 is over 5 of them.
    expect(Math.abs(share.a! - 0.6)).toBeLessThan(0.02);
    expect(Math.abs(share.b! - 0.3)).toBeLessThan(0.02);
    expect(Math.abs(share.c! - 0.1)).toBeLessThan(0.02);
  });

  it("weighs a pool absent from poolWeights as 1", () => {
    const random = seeded(2);
    const balancer = lb({ steering: "random", pools: ["a", "b"], poolWeights: { a: 3 } });
    const share = shares(Array.from({ length: 20_000 }, () => choose(balancer, { random }).pool!.id));
    expect(Math.abs(share.a! - 0.75)).toBeLessThan(0.02);
  });

  it("spreads the traffic of a pool that cannot serve over the others by their weights", () => {
    const random = seeded(3);
    const balancer = lb({ steering: "random", poolWeights: { a: 6, b: 3, c: 1 } });
    const share = shares(
      Array.from({ length: 20_000 }, () => choose(balancer, { random, down: ["a"] }).pool!.id),
    );
    expect(share.a).toBeUndefined();
    expect(Math.abs(share.b! - 0.75)).toBeLessThan(0.02);
    expect(Math.abs(share.c! - 0.25)).toBeLessThan(0.02);
  });

  it("serves from a weight 0 pool only when no weighted pool can", () => {
    const random = seeded(4);
    const balancer = lb({ steering: "random", poolWeights: { a: 0, b: 1, c: 1 } });
    for (let i = 0; i < 500; i++) expect(choose(balancer, { random }).pool!.id).not.toBe("a");
    expect(choose(balancer, { random, down: ["b", "c"] }).pool!.id).toBe("a");
  });

  it("orders every pool exactly once, weight 0 pools last in configured order", () => {
    const random = seeded(5);
    for (let i = 0; i < 200; i++) {
      const order = weightedOrder(["a", "b", "c", "d", "e"], [0, 2, 0, 1, 5], random);
      expect([...order].sort()).toEqual(["a", "b", "c", "d", "e"]);
      expect(order.slice(3)).toEqual(["a", "c"]);
    }
  });

  it("survives a random source that returns its extremes", () => {
    for (const value of [0, 0.999_999_999_999]) {
      expect(weightedOrder(["a", "b"], [1, 1], () => value)).toHaveLength(2);
    }
  });
});

describe("geo steering", () => {
  const balancer = lb({
    steering: "geo",
    pools: ["a", "b"],
    countryPools: { DE: ["c"], US: ["b"] },
    regionPools: { EU: ["d"], NA: ["b"] },
  });

  it("prefers the country's pools, then the continent's, then pools in order", () => {
    const preference = geoPreference(balancer, { country: "DE", continent: "EU" });
    expect(preference.pools).toEqual(["c", "d", "a", "b"]);
    expect(preference.reason).toContain('country "DE"');
    expect(preference.reason).toContain('continent "EU"');
  });

  it("uses the continent when the country has no entry", () => {
    expect(geoPreference(balancer, { country: "FR", continent: "EU" }).pools).toEqual(["d", "a", "b"]);
  });

  it("falls back to the configured order for an unknown or unmapped place", () => {
    for (const location of [
      { country: null, continent: null },
      { country: "JP", continent: "AS" },
      { country: "constructor", continent: "__proto__" },
      { country: "", continent: "E U" },
    ]) {
      expect(geoPreference(balancer, location).pools).toEqual(["a", "b"]);
    }
    expect(geoPreference(balancer, { country: null, continent: null }).reason).toContain("unknown location");
  });

  it("matches codes whatever their case", () => {
    expect(geoPreference(balancer, { country: "de", continent: "eu" }).pools[0]).toBe("c");
  });

  it("serves from the next preference when the preferred pool cannot serve", () => {
    const location = { country: "DE", continent: "EU" };
    expect(choose(balancer, { location }).pool!.id).toBe("c");
    expect(choose(balancer, { location, down: ["c"] }).pool!.id).toBe("d");
    expect(choose(balancer, { location, down: ["c", "d"] }).pool!.id).toBe("a");
    const choice = choose(balancer, { location: { country: "US", continent: "NA" }, down: ["b"] });
    expect(choice.pool!.id).toBe("a");
    // "b" is listed by country, continent and pools, and is looked at once.
    expect(choice.considered.map((c) => c.pool)).toEqual(["b", "a"]);
  });

  it("without a location steers as failover", () => {
    expect(steeringOrder(balancer, { random: Math.random }).pools).toEqual(["a", "b"]);
  });
});

describe("least_connections steering", () => {
  const balancer = lb({ steering: "least_connections" });

  it("prefers the pool with the fewest requests in flight", () => {
    const choice = choose(balancer, { inflight: { a: 30, b: 4, c: 12 } });
    expect(choice.pool!.id).toBe("b");
    expect(choice.steering).toContain("in flight a 30, b 4, c 12");
  });

  it("orders the rest by load, and pools that cannot serve last", () => {
    const order = steeringOrder(balancer, {
      random: () => 0,
      poolInflight: (id) => ({ a: 30, b: null, c: 12 })[id] ?? null,
    });
    expect(order.pools).toEqual(["c", "a", "b"]);
    expect(order.reason).toContain("b cannot serve");
  });

  it("draws at random among pools within 10 % of the fewest", () => {
    const random = seeded(6);
    const picks = Array.from(
      { length: 4000 },
      () => choose(balancer, { random, inflight: { a: 100, b: 105, c: 120 } }).pool!.id,
    );
    const share = shares(picks);
    expect(share.c).toBeUndefined();
    expect(Math.abs(share.a! - 0.5)).toBeLessThan(0.05);
    expect(Math.abs(share.b! - 0.5)).toBeLessThan(0.05);
  });

  it("prefers an idle pool to any busy one", () => {
    const random = seeded(7);
    for (let i = 0; i < 200; i++) {
      expect(choose(balancer, { random, inflight: { a: 1, b: 0, c: 1 } }).pool!.id).toBe("b");
    }
  });

  it("keeps the configured order when no pool's load is known", () => {
    const order = steeringOrder(balancer, { random: Math.random });
    expect(order.pools).toEqual(["a", "b", "c"]);
    expect(order.reason).toContain("no pool can serve");
  });
});

describe("a session-affinity pin", () => {
  const balancer = lb({ steering: "failover", pools: ["a", "b"] });

  it("keeps the pinned pool while it can serve the pinned origin, ahead of steering", () => {
    const choice = choosePool({
      loadBalancer: balancer,
      pools: POOLS,
      assess: () => ({ usable: true }),
      steering: { random: Math.random },
      pinned: { pool: "b", accepts: () => true },
    });
    expect(choice.pool!.id).toBe("b");
    expect(choice.via).toBe("affinity");
  });

  it("lets steering decide when the pinned origin cannot serve", () => {
    const choice = choosePool({
      loadBalancer: balancer,
      pools: POOLS,
      assess: () => ({ usable: true }),
      steering: { random: Math.random },
      pinned: { pool: "b", accepts: () => false },
    });
    expect(choice.pool!.id).toBe("a");
    expect(choice.via).toBe("steering");
    expect(choice.considered[0]).toMatchObject({ pool: "b", verdict: "skipped" });
  });

  it("is ignored when it names a pool the load balancer does not use", () => {
    const choice = choosePool({
      loadBalancer: balancer,
      pools: POOLS,
      assess: () => ({ usable: true }),
      steering: { random: Math.random },
      pinned: { pool: "d", accepts: () => true },
    });
    expect(choice.pool!.id).toBe("a");
    expect(choice.considered).toHaveLength(1);
  });
});
