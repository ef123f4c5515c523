import { describe, expect, it } from "vitest";
import { type ConfigSnapshot, LoadBalancerSchema, PoolSchema } from "../../../worker/config/schema.ts";
import { inScope, poolScopes, scopeIsCurrent } from "../../../worker/metrics/retention.ts";

function config(version: number, loadBalancers: Record<string, unknown>[]): ConfigSnapshot {
  const pools = ["web", "api", "spare", "shadow", "idle"].map((id) => ({
    ...PoolSchema.parse({ id, origins: [{ name: "a", address: "http://127.0.0.1:1" }] }),
    version: 1,
  }));
  return {
    version,
    pools,
    loadBalancers: loadBalancers.map((lb) => ({ ...LoadBalancerSchema.parse(lb), version: 1 })),
  };
}

const SHOP = {
  id: "shop",
  hostname: "shop.test",
  pools: ["web"],
  fallbackPool: "spare",
  mirror: { pool: "shadow" },
  rules: [
    { name: "maintenance", when: { path: { regex: "^/down" } }, then: { respond: { status: 503 } } },
    { name: "to-api", when: { path: { regex: "^/api" } }, then: { pools: ["api"] } },
  ],
};

describe("poolScopes", () => {
  it("lists, per pool, every load balancer that names it anywhere, with its rules", () => {
    const scopes = poolScopes(config(9, [SHOP, { id: "blog", hostname: "blog.test", pools: ["api"] }]));
    const rules = ["maintenance", "to-api"];
    expect(scopes.get("web")).toEqual({ version: 9, loadBalancers: new Map([["shop", rules]]) });
    expect(scopes.get("spare")?.loadBalancers).toEqual(new Map([["shop", rules]]));
    expect(scopes.get("shadow")?.loadBalancers).toEqual(new Map([["shop", rules]]));
    expect(scopes.get("api")?.loadBalancers).toEqual(
      new Map([
        ["shop", rules],
        ["blog", []],
      ]),
    );
    expect(scopes.get("idle")).toEqual({ version: 9, loadBalancers: new Map() });
  });
});

describe("inScope", () => {
  const scope = poolScopes(config(9, [SHOP])).get("web")!;

  it("keeps series of the load balancers using the pool and of their rules, and pool series", () => {
    expect(inScope(scope, { load_balancer: "shop", pool: "web", origin: "a" })).toBe(true);
    expect(inScope(scope, { load_balancer: "shop", rule: "maintenance", action: "respond" })).toBe(true);
    expect(inScope(scope, { pool: "web", origin: "a" })).toBe(true);
  });

  it("drops series of other load balancers and of rules that no longer exist", () => {
    expect(inScope(scope, { load_balancer: "gone", pool: "web", origin: "a" })).toBe(false);
    expect(inScope(scope, { load_balancer: "shop", rule: "old-rule", action: "respond" })).toBe(false);
    expect(inScope(scope, { load_balancer: "__proto__", pool: "web" })).toBe(false);
  });
});

describe("scopeIsCurrent", () => {
  const scope = poolScopes(config(9, [SHOP])).get("web")!;

  it("accepts a scope at least as new as every version the pool has heard of", () => {
    expect(scopeIsCurrent(scope, 9)).toEqual(scope);
    expect(scopeIsCurrent(scope, 3)).toEqual(scope);
  });

  it("refuses an older scope and malformed ones, which then drop nothing", () => {
    expect(scopeIsCurrent(scope, 10)).toBeNull();
    expect(scopeIsCurrent(undefined, 0)).toBeNull();
    expect(scopeIsCurrent({ version: 9, loadBalancers: { shop: [] } }, 0)).toBeNull();
    expect(scopeIsCurrent({ version: "9", loadBalancers: new Map() }, 0)).toBeNull();
    expect(scopeIsCurrent({ version: 9, loadBalancers: new Map([["shop", [1]]]) }, 0)).toBeNull();
  });
});
