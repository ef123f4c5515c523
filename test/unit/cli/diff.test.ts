import { describe, expect, it } from "vitest";
import {
  diffIds,
  fieldChanges,
  formatChange,
  formatValue,
  isEmpty,
  renderPlan,
} from "../../../scripts/cli/diff.ts";

const origin = (name: string, weight = 1) => ({ name, address: `http://${name}.example.com`, weight });
const pool = (id: string, origins = [origin("a"), origin("b")], extra: Record<string, unknown> = {}) => ({
  id,
  algorithm: "round_robin",
  origins,
  healthCheck: null,
  ...extra,
});
const lb = (id: string, pools: string[]) => ({ id, hostname: `${id}.example.com`, pathPrefix: "/", pools });

describe("fieldChanges", () => {
  it("names the leaf fields that change, matching origins by name", () => {
    const before = pool("web", [origin("a"), origin("b")]);
    const after = pool("web", [origin("b"), origin("a", 0)], { algorithm: "first" });
    expect(fieldChanges(before, after)).toEqual([
      { path: "algorithm", before: "round_robin", after: "first" },
      { path: "origins[a].weight", before: 1, after: 0 },
      { path: "origins order", before: ["a", "b"], after: ["b", "a"] },
    ]);
  });

  it("reports added and removed origins and nested objects, ignoring version", () => {
    const before = { ...pool("web", [origin("a"), origin("b")]), version: 3 };
    const after = pool("web", [origin("a"), origin("c")], { healthCheck: { path: "/health" } });
    const paths = fieldChanges(before, after).map((change) => change.path);
    expect(paths).toEqual(["origins[c]", "origins[b]", "healthCheck"]);
    expect(fieldChanges(before, { ...before, version: 4 })).toEqual([]);
  });

  it("compares plain lists and objects regardless of member order", () => {
    expect(fieldChanges({ pools: ["a", "b"] }, { pools: ["b", "a"] })).toEqual([
      { path: "pools", before: ["a", "b"], after: ["b", "a"] },
    ]);
    expect(fieldChanges({ h: { a: 1, b: 2 } }, { h: { b: 2, a: 1 } })).toEqual([]);
    expect(fieldChanges({ poolWeights: {} }, { poolWeights: { "web-eu": 2 } })).toEqual([
      { path: 'poolWeights["web-eu"]', before: undefined, after: 2 },
    ]);
  });
});

describe("diffIds", () => {
  it("sorts ids into created, updated and deleted", () => {
    const before = [pool("a"), pool("b"), pool("c")];
    const after = [pool("c"), pool("b", [origin("x")]), pool("d")];
    expect(diffIds(before, after)).toEqual({ created: ["d"], updated: ["b"], deleted: ["a"] });
  });
});

describe("renderPlan", () => {
  it("shows each change with its fields, then a summary", () => {
    const before = { pools: [pool("web"), pool("old")], loadBalancers: [lb("www", ["web"])] };
    const after = {
      pools: [pool("web", [origin("a", 0), origin("b")]), pool("new", [origin("n")])],
      loadBalancers: [lb("www", ["web"]), lb("api", ["new"])],
    };
    const changes = {
      pools: { created: ["new"], updated: ["web"], deleted: ["old"] },
      loadBalancers: { created: ["api"], updated: [], deleted: [] },
    };
    expect(renderPlan(changes, { before, after })).toBe(
      [
        "+ pool new",
        "    origin n http://n.example.com",
        "~ pool web",
        "    origins[a].weight: 1 -> 0",
        "- pool old",
        "+ load balancer api",
        "    api.example.com/ -> new",
        "",
        "Plan: 2 to create, 1 to change, 1 to delete.",
      ].join("\n"),
    );
  });

  it("names a pool's changed header but never shows its value", () => {
    const secret = "s3cr3t-plan-value";
    const withHeaders = (value: string, check: Record<string, string>) => {
      const a = { ...origin("a"), headers: { authorization: value } };
      return pool("web", [a], { healthCheck: { path: "/health", headers: check } });
    };
    const z = { name: "z", address: "http://z", weight: 1, headers: { k: secret } };
    const before = { pools: [withHeaders(`old-${secret}`, {}), pool("bare", [])], loadBalancers: [] };
    const after = {
      pools: [withHeaders(`new-${secret}`, { "x-check-key": secret }), pool("bare", [z])],
      loadBalancers: [],
    };
    const changes = {
      pools: { created: [], updated: ["bare", "web"], deleted: [] },
      loadBalancers: { created: [], updated: [], deleted: [] },
    };
    const plan = renderPlan(changes, { before, after });
    expect(plan).not.toContain(secret);
    expect(plan).toContain("origins[a].headers.authorization: changed (value hidden)");
    expect(plan).toContain('healthCheck.headers["x-check-key"]: added (value hidden)');
    expect(plan).toContain('"headers":{"k":"<redacted>"}');
  });

  it("says so when nothing changes", () => {
    const none = { created: [], updated: [], deleted: [] };
    const changes = { pools: none, loadBalancers: none };
    expect(isEmpty(changes)).toBe(true);
    expect(renderPlan(changes)).toBe("No changes: the configuration already matches.");
  });

  it("colors only when asked", () => {
    const changes = {
      pools: { created: [], updated: [], deleted: ["old"] },
      loadBalancers: { created: [], updated: [], deleted: [] },
    };
    expect(renderPlan(changes, undefined, true)).toContain("\u001b[31m- pool old\u001b[0m");
    expect(renderPlan(changes, undefined, false)).not.toContain("\u001b[");
  });
});

describe("formatChange", () => {
  it("reads added and removed origins as one line each", () => {
    const before = pool("web", [origin("a"), origin("b")]);
    const after = pool("web", [origin("a"), origin("c", 2)], { healthCheck: { path: "/health" } });
    expect(fieldChanges(before, after).map((change) => formatChange(change))).toEqual([
      "origins[c]: added (http://c.example.com)",
      "origins[b]: removed",
      'healthCheck: null -> {"path":"/health"}',
    ]);
  });
});

describe("formatValue", () => {
  it("quotes strings, marks unset fields and shortens long values", () => {
    expect(formatValue("2xx")).toBe('"2xx"');
    expect(formatValue(null)).toBe("null");
    expect(formatValue(undefined)).toBe("(unset)");
    expect(formatValue("x".repeat(200))).toHaveLength(80);
  });
});
