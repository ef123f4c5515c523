import { describe, expect, it } from "vitest";
import { parseDocument, serializeDocument, withoutServerFields } from "../../../scripts/cli/document.ts";
import { ago, formatProblem, formatTable, paint } from "../../../scripts/cli/format.ts";

describe("formatTable", () => {
  it("aligns columns under the header without trailing spaces", () => {
    const table = formatTable(
      ["ORIGIN", "STATE", "LATENCY"],
      [
        ["eu-1", "healthy", "12 ms"],
        ["eu-backup-2", "unhealthy", "-"],
      ],
      { right: [2], indent: "  " },
    );
    expect(table).toBe(
      [
        "  ORIGIN       STATE      LATENCY",
        "  eu-1         healthy      12 ms",
        "  eu-backup-2  unhealthy        -",
      ].join("\n"),
    );
  });

  it("ignores color codes when measuring", () => {
    const table = formatTable(["A", "B"], [[paint("red", "red", true), "x"]]);
    expect(table.split("\n")[1]).toBe(`${paint("red", "red", true)}  x`);
  });
});

describe("formatProblem", () => {
  it("prints the status, detail and one line per invalid field", () => {
    const text = formatProblem(400, {
      title: "Bad Request",
      detail: "The configuration is invalid.",
      errors: [
        { path: "pools[0].origins[1].weight", message: "must be at most 1000" },
        { path: "", message: "must be an object" },
      ],
    });
    expect(text).toBe(
      [
        "Error: 400 Bad Request: The configuration is invalid.",
        "  pools[0].origins[1].weight: must be at most 1000",
        "  (document): must be an object",
      ].join("\n"),
    );
  });

  it("adds a hint for auth and concurrency failures", () => {
    expect(formatProblem(401, { title: "Unauthorized", detail: "Missing token" })).toMatch(/EDGE_LB_TOKEN/);
    expect(formatProblem(403, { title: "Forbidden" })).toMatch(/ADMIN_TOKEN/);
    expect(formatProblem(412, { title: "Precondition Failed" })).toMatch(/nothing was changed/);
  });
});

describe("ago", () => {
  it("reads epoch milliseconds and ISO strings", () => {
    const now = Date.parse("2026-01-01T00:10:00Z");
    expect(ago(now - 4_000, now)).toBe("4s ago");
    expect(ago("2026-01-01T00:07:00Z", now)).toBe("3m ago");
    expect(ago(null, now)).toBe("-");
  });
});

describe("configuration documents", () => {
  it("reads YAML and JSON and refuses what is not one object", () => {
    expect(parseDocument("pools: []\nloadBalancers: []\n", "lb.yaml")).toEqual({
      pools: [],
      loadBalancers: [],
    });
    expect(parseDocument('{"pools": []}', "lb.json")).toEqual({ pools: [] });
    expect(() => parseDocument("{ pools: [", "lb.json")).toThrow(/lb\.json is not valid JSON/);
    expect(() => parseDocument("pools: [\n", "lb.yaml")).toThrow(/lb\.yaml is not valid YAML/);
    expect(() => parseDocument("- a\n- b\n", "lb.yaml")).toThrow(/one object/);
  });

  it("says where a syntax error is without printing the line, which may hold a credential", () => {
    const secret = "s3cr3t-file-XYZ";
    const yaml = `pools:\n  - headers:\n      authorization: Bearer ${secret}: x\n`;
    expect(() => parseDocument(yaml, "lb.yaml")).toThrow(/lb\.yaml is not valid YAML: .*line 3/);
    const json = `{"pools":[{"headers":{"authorization": Bearer ${secret}}}]}`;
    for (const [text, name] of [
      [yaml, "lb.yaml"],
      [json, "lb.json"],
    ] as const) {
      expect(() => parseDocument(text, name)).toThrow(/not valid/);
      try {
        parseDocument(text, name);
      } catch (error) {
        expect(String(error)).not.toContain(secret);
      }
    }
  });

  it("drops server-owned versions and keeps everything else", () => {
    const stored = {
      version: 7,
      pools: [{ id: "web", version: 2, origins: [] }],
      loadBalancers: [{ id: "www", version: 1, extra: true }],
    };
    expect(withoutServerFields(stored)).toEqual({
      pools: [{ id: "web", origins: [] }],
      loadBalancers: [{ id: "www", extra: true }],
    });
  });

  it("writes YAML that reads back to the same document, with string codes kept as strings", () => {
    const document = {
      pools: [
        { id: "web", healthCheck: { expectedCodes: "200", path: "/" }, origins: [{ name: "a", weight: 1 }] },
      ],
      loadBalancers: [],
    };
    const yaml = serializeDocument(document, "yaml", { endpoint: "https://lb", version: 3 });
    expect(yaml.startsWith("# Edge LB configuration from https://lb at version 3.")).toBe(true);
    expect(parseDocument(yaml, "export.yaml")).toEqual(document);
    const json = serializeDocument(document, "json", { endpoint: "https://lb", version: 3 });
    expect(parseDocument(json, "export.json")).toEqual(document);
  });
});
