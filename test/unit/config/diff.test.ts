import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  changedFields,
  diffConfig,
  isEmptyChange,
  sameResource,
} from "../../../worker/config/diff.ts";

describe("diffConfig", () => {
  it("lists created, updated and deleted ids per kind, sorted, and leaves unchanged ones out", () => {
    const before = {
      pools: [
        { id: "keep", weight: 1, version: 3 },
        { id: "change", weight: 1, version: 4 },
        { id: "drop", weight: 1, version: 5 },
      ],
      loadBalancers: [{ id: "www", pools: ["keep"], version: 6 }],
    };
    const after = {
      pools: [
        { id: "keep", weight: 1 },
        { id: "change", weight: 2 },
        { id: "new-b", weight: 1 },
        { id: "new-a", weight: 1 },
      ],
      loadBalancers: [{ id: "www", pools: ["keep"] }],
    };
    expect(diffConfig(before, after)).toEqual({
      pools: { created: ["new-a", "new-b"], updated: ["change"], deleted: ["drop"] },
      loadBalancers: { created: [], updated: [], deleted: [] },
    });
  });

  it("is empty when nothing differs but versions and member order", () => {
    const before = { pools: [{ id: "a", x: { b: 1, c: 2 }, version: 9 }], loadBalancers: [] };
    const after = { pools: [{ id: "a", x: { c: 2, b: 1 } }], loadBalancers: [] };
    const changes = diffConfig(before, after);
    expect(isEmptyChange(changes)).toBe(true);
  });
});

describe("sameResource", () => {
  it("ignores version and member order but not array order", () => {
    expect(sameResource({ id: "a", m: { x: 1, y: 2 }, version: 1 }, { m: { y: 2, x: 1 }, id: "a" })).toBe(
      true,
    );
    expect(sameResource({ id: "a", list: [1, 2] }, { id: "a", list: [2, 1] })).toBe(false);
  });
});

describe("changedFields", () => {
  it("names the leaf fields that differ", () => {
    const before = {
      id: "p",
      origins: [
        { name: "a", weight: 1 },
        { name: "b", weight: 1 },
      ],
      enabled: true,
    };
    const after = {
      id: "p",
      origins: [
        { name: "a", weight: 1 },
        { name: "b", weight: 0 },
      ],
      enabled: false,
    };
    expect(changedFields(before, after)).toEqual(["origins[1].weight", "enabled"]);
  });

  it("counts an array whose length changed as one field, and a removed member as changed", () => {
    expect(changedFields({ a: [1], b: { c: 1 } }, { a: [1, 2], b: {} })).toEqual(["a", "b.c"]);
  });

  it("caps the list", () => {
    const before = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, 0]));
    const after = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, 1]));
    const fields = changedFields(before, after, 3);
    expect(fields).toEqual(["f0", "f1", "f2", "…"]);
  });
});

describe("canonicalJson", () => {
  it("sorts members at every depth", () => {
    expect(canonicalJson({ b: 1, a: { d: 1, c: [{ f: 1, e: 2 }] } })).toBe(
      '{"a":{"c":[{"e":2,"f":1}],"d":1},"b":1}',
    );
  });
});
