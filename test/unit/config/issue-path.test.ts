import { describe, expect, it } from "vitest";
import { formatPath, issuesToFieldErrors } from "../../../worker/config/issue-path.ts";
import { LoadBalancerSchema, PoolSchema } from "../../../worker/config/schema.ts";

describe("formatPath", () => {
  it.each([
    [["origins", 1, "weight"], "origins[1].weight"],
    [["poolWeights", "web-eu"], 'poolWeights["web-eu"]'],
    [["regionPools", "WEUR", 0], "regionPools.WEUR[0]"],
    [[0, "id"], "[0].id"],
    [["headers", 'a"b'], 'headers["a\\"b"]'],
    [[], ""],
  ])("formats %j as %s", (path, expected) => {
    expect(formatPath(path)).toBe(expected);
  });
});

function errorsOf(schema: typeof PoolSchema | typeof LoadBalancerSchema, input: unknown) {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) throw new Error("expected a validation failure");
  return issuesToFieldErrors(result.error.issues);
}

describe("issuesToFieldErrors", () => {
  it("names the field of each problem the way API.md writes paths", () => {
    const errors = errorsOf(PoolSchema, {
      id: "web",
      origins: [
        { name: "a", address: "http://10.0.0.1" },
        { name: "b", address: "http://10.0.0.2", weight: 5000 },
      ],
    });
    expect(errors).toEqual([{ path: "origins[1].weight", message: "must be at most 1000" }]);
  });

  it("reports a missing field as required and a wrong type by name", () => {
    const errors = errorsOf(PoolSchema, { id: "web", enabled: "yes" });
    expect(errors).toContainEqual({ path: "origins", message: "is required" });
    expect(errors).toContainEqual({ path: "enabled", message: "must be a boolean, got string" });
  });

  it("gives one error per unknown field, with the field in the path", () => {
    const errors = errorsOf(PoolSchema, {
      id: "web",
      origins: [{ name: "a", address: "http://10.0.0.1", colour: "red" }],
      extra: 1,
    });
    expect(errors).toEqual([
      { path: "origins[0].colour", message: "unknown field" },
      { path: "extra", message: "unknown field" },
    ]);
  });

  it("explains invalid record keys and enum values", () => {
    const errors = errorsOf(LoadBalancerSchema, {
      id: "www",
      hostname: "www.example.com",
      pools: ["a"],
      steering: "fastest",
      countryPools: { usa: ["a"] },
    });
    expect(errors).toContainEqual({
      path: "steering",
      message: 'must be one of "failover", "random", "geo", "least_connections", "hash"',
    });
    expect(errors).toContainEqual({
      path: "countryPools.usa",
      message: "invalid key: must be an ISO 3166 alpha-2 country code",
    });
  });

  it("says a non-finite number is not a finite number", () => {
    const errors = errorsOf(PoolSchema, {
      id: "web",
      origins: [{ name: "a", address: "http://10.0.0.1", weight: Number.POSITIVE_INFINITY }],
    });
    expect(errors).toEqual([{ path: "origins[0].weight", message: "must be a finite number" }]);
  });

  it("puts the errors under a prefix", () => {
    const result = PoolSchema.safeParse({ id: "Web", origins: [{ name: "a", address: "http://x" }] });
    if (result.success) throw new Error("expected failure");
    expect(issuesToFieldErrors(result.error.issues, ["pools", 3]).map((e) => e.path)).toEqual([
      "pools[3].id",
    ]);
  });
});
