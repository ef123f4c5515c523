import { describe, expect, it } from "vitest";
import {
  loadBalancersUsingPool,
  missingPoolErrors,
  routeConflict,
} from "../../../worker/config/references.ts";

const lb = (id: string, extra: Partial<{ pools: string[]; fallbackPool: string | null }> = {}) => ({
  id,
  hostname: "www.example.com",
  pathPrefix: "/",
  pools: ["web"],
  fallbackPool: null,
  regionPools: {},
  countryPools: {},
  ...extra,
});

describe("references", () => {
  it("finds every missing pool with its path", () => {
    const errors = missingPoolErrors(
      { pools: ["web", "x"], fallbackPool: "y", regionPools: { WEUR: ["web", "z"] }, countryPools: {} },
      (id) => id === "web",
    );
    expect(errors).toEqual([
      { path: "pools[1]", message: 'no pool "x" exists' },
      { path: "fallbackPool", message: 'no pool "y" exists' },
      { path: "regionPools.WEUR[1]", message: 'no pool "z" exists' },
    ]);
  });

  it("names the load balancers that use a pool anywhere, sorted", () => {
    const all = [lb("b"), lb("a", { pools: ["other"], fallbackPool: "web" }), lb("c", { pools: ["other"] })];
    expect(loadBalancersUsingPool("web", all)).toEqual(["a", "b"]);
  });

  it("finds a route conflict with another load balancer only", () => {
    const others = [lb("one"), { ...lb("two"), pathPrefix: "/api" }];
    expect(routeConflict(lb("new"), others)).toBe("one");
    expect(routeConflict(lb("one"), others)).toBeUndefined();
    expect(routeConflict({ ...lb("new"), pathPrefix: "/other" }, others)).toBeUndefined();
  });
});
