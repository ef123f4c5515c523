import { describe, expect, it } from "vitest";
import {
  type LoadBalancer,
  type LoadBalancerInput,
  LoadBalancerSchema,
  type Pool,
  type PoolInput,
  PoolSchema,
} from "../../../worker/config/schema.ts";
import { normalizeHostname } from "../../../worker/http/hostname.ts";
import { choosePool, type PoolAssessment } from "../../../worker/routing/choose-pool.ts";
import { buildRouteIndex, matchLoadBalancer } from "../../../worker/routing/match.ts";

function lb(input: Partial<LoadBalancerInput> & { id: string; hostname: string }): LoadBalancer {
  return { ...LoadBalancerSchema.parse({ pools: ["p"], ...input }), version: 1 };
}

function pool(input: Partial<PoolInput> & { id: string }): Pool {
  return {
    ...PoolSchema.parse({ origins: [{ name: "o", address: "http://127.0.0.1:9" }], ...input }),
    version: 1,
  };
}

function route(lbs: LoadBalancer[], host: string, path = "/"): string | null {
  return matchLoadBalancer(buildRouteIndex(lbs), host, path)?.loadBalancer.id ?? null;
}

describe("matching a load balancer", () => {
  const exact = lb({ id: "exact", hostname: "www.example.com" });
  const wild = lb({ id: "wild", hostname: "*.example.com" });
  const deeper = lb({ id: "deeper", hostname: "*.eu.example.com" });

  it("matches an exact hostname and nothing else", () => {
    expect(route([exact], "www.example.com")).toBe("exact");
    expect(route([exact], "api.example.com")).toBeNull();
    expect(route([exact], "example.com")).toBeNull();
  });

  it("matches a wildcard at any depth below it, never the apex", () => {
    expect(route([wild], "a.example.com")).toBe("wild");
    expect(route([wild], "a.b.c.example.com")).toBe("wild");
    expect(route([wild], "example.com")).toBeNull();
    expect(route([wild], "notexample.com")).toBeNull();
    expect(route([wild], "a.example.org")).toBeNull();
  });

  it("prefers an exact hostname to a wildcard, and the longest wildcard suffix", () => {
    const all = [wild, deeper, exact];
    expect(route(all, "www.example.com")).toBe("exact");
    expect(route(all, "shop.eu.example.com")).toBe("deeper");
    expect(route(all, "a.b.eu.example.com")).toBe("deeper");
    expect(route(all, "eu.example.com")).toBe("wild");
    expect(route(all, "shop.us.example.com")).toBe("wild");
  });

  it("takes the longest matching path prefix, on segment boundaries", () => {
    const all = [
      lb({ id: "root", hostname: "app.test" }),
      lb({ id: "api", hostname: "app.test", pathPrefix: "/api" }),
      lb({ id: "api-v2", hostname: "app.test", pathPrefix: "/api/v2/" }),
    ];
    expect(route(all, "app.test", "/")).toBe("root");
    expect(route(all, "app.test", "/api")).toBe("api");
    expect(route(all, "app.test", "/api/users")).toBe("api");
    expect(route(all, "app.test", "/apix")).toBe("root");
    expect(route(all, "app.test", "/api/v2/users")).toBe("api-v2");
    expect(route(all, "app.test", "/api/v2")).toBe("api");
  });

  it("falls through to a less specific hostname when no prefix of the exact one matches", () => {
    const all = [lb({ id: "api-only", hostname: "www.example.com", pathPrefix: "/api" }), wild];
    expect(route(all, "www.example.com", "/api/x")).toBe("api-only");
    expect(route(all, "www.example.com", "/other")).toBe("wild");
  });

  it("ignores disabled load balancers", () => {
    const all = [lb({ id: "off", hostname: "www.example.com", enabled: false }), wild];
    expect(route(all, "www.example.com")).toBe("wild");
    expect(
      route([lb({ id: "off", hostname: "www.example.com", enabled: false })], "www.example.com"),
    ).toBeNull();
  });

  it("compares hostnames without case, port or trailing dot", () => {
    expect(route([exact], "WWW.Example.COM")).toBe("exact");
    expect(route([exact], "www.example.com:8443")).toBe("exact");
    expect(route([exact], "www.example.com.")).toBe("exact");
    expect(route([wild], "A.EXAMPLE.COM.:80")).toBe("wild");
    expect(normalizeHostname("[::1]:8787")).toBe("[::1]");
  });

  it("says how it matched", () => {
    const index = buildRouteIndex([wild, exact]);
    expect(matchLoadBalancer(index, "x.example.com", "/")).toMatchObject({
      hostname: "*.example.com",
      matchedBy: "wildcard",
    });
    expect(matchLoadBalancer(index, "www.example.com", "/")).toMatchObject({ matchedBy: "exact" });
  });
});

describe("choosing a pool (failover)", () => {
  const pools = new Map(
    [
      pool({ id: "primary" }),
      pool({ id: "secondary" }),
      pool({ id: "off", enabled: false }),
      pool({ id: "spare" }),
    ].map((p) => [p.id, p]),
  );
  const steering = { random: () => 0 };
  const down = new Set<string>();
  const assess = (p: Pool): PoolAssessment =>
    down.has(p.id) ? { usable: false, reason: "no usable origin" } : { usable: true };

  function choose(input: Partial<LoadBalancerInput>, unusable: string[] = []) {
    down.clear();
    for (const id of unusable) down.add(id);
    return choosePool({
      loadBalancer: lb({ id: "x", hostname: "x.test", ...input }),
      pools,
      assess,
      steering,
    });
  }

  it("takes the first pool in order that can serve", () => {
    expect(choose({ pools: ["primary", "secondary"] }).pool?.id).toBe("primary");
    expect(choose({ pools: ["primary", "secondary"] }, ["primary"]).pool?.id).toBe("secondary");
  });

  it("skips disabled pools and says why each pool was skipped", () => {
    const choice = choose({ pools: ["off", "primary", "secondary"] }, ["primary"]);
    expect(choice.pool?.id).toBe("secondary");
    expect(choice.via).toBe("steering");
    expect(choice.considered).toEqual([
      { pool: "off", verdict: "skipped", reason: "pool is disabled" },
      { pool: "primary", verdict: "skipped", reason: "no usable origin" },
      { pool: "secondary", verdict: "chosen", reason: "first pool in order that can serve" },
    ]);
  });

  it("uses the fallback pool, whatever its health, when no pool can serve", () => {
    const choice = choose({ pools: ["primary"], fallbackPool: "spare" }, ["primary", "spare"]);
    expect(choice.pool?.id).toBe("spare");
    expect(choice.via).toBe("fallback");
  });

  it("chooses none when no pool can serve and there is no fallback", () => {
    const choice = choose({ pools: ["primary", "secondary"] }, ["primary", "secondary"]);
    expect(choice.pool).toBeNull();
    expect(choice.via).toBe("none");
    expect(choice.considered.map((c) => c.verdict)).toEqual(["skipped", "skipped"]);
  });

  it("skips a pool id that does not exist", () => {
    const choice = choose({ pools: ["ghost", "primary"] });
    expect(choice.pool?.id).toBe("primary");
    expect(choice.considered[0]).toEqual({
      pool: "ghost",
      verdict: "skipped",
      reason: "pool does not exist",
    });
  });
});
