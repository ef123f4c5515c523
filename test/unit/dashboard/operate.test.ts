/**
 * The words the dashboard's actions show: the field differences a rollback confirmation lists, its
 * change summary, how an API refusal reads, and how a webhook receiver is named.
 */
import { describe, expect, it } from "vitest";
import { refusal } from "../../../worker/dashboard/browser/confirm.ts";
import { changeLines, diffValues } from "../../../worker/dashboard/browser/history.ts";
import { receiver } from "../../../worker/dashboard/browser/notifications.ts";

describe("rollback confirmation", () => {
  it("lists each differing field, origins by name, versions left out", () => {
    const now = {
      id: "web",
      version: 7,
      enabled: true,
      origins: [
        { name: "a", weight: 2 },
        { name: "b", weight: 1, headers: { "x-k": "1" } },
      ],
    };
    const then = {
      id: "web",
      version: 3,
      enabled: false,
      origins: [
        { name: "b", weight: 0, headers: { "x-k": "1" } },
        { name: "a", weight: 2 },
        { name: "c", weight: 1 },
      ],
    };
    const lines: string[] = [];
    diffValues(now, then, "pool web: ", lines);
    expect(lines).toEqual([
      "pool web: enabled: true → false",
      "pool web: origins[b].weight: 1 → 0",
      'pool web: origins[c]: (none) → {"name":"c","weight":1}',
    ]);
  });

  it("lists nothing for equal documents", () => {
    const lines: string[] = [];
    diffValues({ a: [1, 2], b: { c: null } }, { a: [1, 2], b: { c: null } }, "x: ", lines);
    expect(lines).toEqual([]);
  });

  it("summarises the dry run's change set per kind", () => {
    expect(
      changeLines({
        version: 9,
        changes: {
          pools: { created: [], updated: ["web", "api"], deleted: ["old"] },
          loadBalancers: { created: ["www"], updated: [], deleted: [] },
        },
      }),
    ).toEqual(["Pools updated: web, api.", "Pools deleted: old.", "Load balancers created: www."]);
    expect(changeLines({ version: 9, changes: {} })).toEqual([]);
  });
});

describe("refusals", () => {
  it("says a stale If-Match was someone else's change, and that nothing changed", () => {
    expect(refusal({ ok: false, status: 412, error: "412 stale" }, "pool web")).toMatch(
      /^Nothing was changed: pool web was changed by someone else/,
    );
  });

  it("shows the problem's title, detail and field errors", () => {
    const body = {
      title: "Validation failed",
      detail: "The request has 1 invalid field; see errors.",
      errors: [{ path: "origins[1].weight", message: "must be at most 1000" }],
    };
    expect(refusal({ ok: false, status: 400, error: "400 x", body }, "pool web")).toBe(
      "Nothing was changed. 400 Validation failed: The request has 1 invalid field; see errors. (origins[1].weight must be at most 1000)",
    );
  });

  it("does not claim nothing changed when the server failed or did not answer", () => {
    expect(refusal({ ok: false, error: "cannot reach the API" }, "pool web")).toBe(
      "The change may not have been made; cannot reach the API",
    );
  });
});

describe("notification receiver", () => {
  it("is shown by scheme and host only (a webhook path can be a credential)", () => {
    expect(receiver("https://hooks.slack.com/services/T0/B0/secret")).toBe("https://hooks.slack.com");
    expect(receiver("not a url")).toBe("-");
    expect(receiver(undefined)).toBe("-");
  });
});
