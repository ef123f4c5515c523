/**
 * The words the dashboard's actions show: what each pool and origin action's confirmation says, the
 * field differences a rollback confirmation lists, its change summary, how an API refusal reads,
 * and how a webhook receiver is named.
 */
import { describe, expect, it } from "vitest";
import {
  actionFor,
  alreadyDone,
  type LoadBalancerUse,
  type PoolResource,
} from "../../../worker/dashboard/browser/actions.ts";
import { refusal } from "../../../worker/dashboard/browser/confirm.ts";
import { changeLines, diffValues } from "../../../worker/dashboard/browser/history.ts";
import { receiver } from "../../../worker/dashboard/browser/notifications.ts";

describe("pool and origin confirmations", () => {
  const web: PoolResource = {
    id: "web",
    version: 4,
    origins: [
      { name: "a", weight: 3 },
      { name: "b", weight: 1 },
    ],
  };
  const www: LoadBalancerUse = {
    id: "www",
    pools: ["web"],
    sessionAffinity: { type: "cookie", drainSeconds: 30 },
  };
  const api: LoadBalancerUse = { id: "api", pools: ["other"], fallbackPool: "web" };

  it("a drain says the weight change and how long pinned sessions keep the origin", () => {
    const action = actionFor("drain", web, "a", [www, api]);
    expect(action?.title).toBe("Drain origin a of pool web");
    expect(action?.lines).toEqual([
      "New requests stop going to it: its weight goes from 3 to 0 (undrain restores 3).",
      "Requests already in flight finish; it shows as draining until they have.",
      "Pinned sessions (affinity of www) keep it for 30 s, then move to other origins.",
    ]);
    expect(action?.warning).toBeUndefined();
  });

  it("a drain without drainSeconds moves pinned sessions at once; none without affinity", () => {
    const quick = { ...www, sessionAffinity: { type: "ip", drainSeconds: 0 } };
    expect(actionFor("drain", web, "b", [quick])?.lines[2]).toBe(
      "Sessions pinned to it (affinity of www) move to other origins at once.",
    );
    expect(actionFor("drain", web, "b", [api])?.lines).toHaveLength(2);
  });

  it("warns when the origin is the last one taking new requests", () => {
    const one = {
      ...web,
      origins: [
        { name: "a", weight: 3 },
        { name: "b", weight: 0 },
      ],
    };
    expect(actionFor("drain", one, "a", [])?.warning).toBe(
      "It is the last origin of pool web that takes new requests: the pool will have none left for new requests.",
    );
    const off = { ...web, origins: [{ name: "a" }, { name: "b", enabled: false }] };
    expect(actionFor("disable-origin", off, "a", [])?.warning).toMatch(
      /last origin of pool web that is enabled/,
    );
  });

  it("disabling names what keeps working, the load balancers that fail over and the If-Match version", () => {
    expect(actionFor("disable-origin", web, "b", [])?.lines).toEqual([
      "It is taken out of rotation: no new requests go to it, and sessions pinned to it move to other origins.",
      "It is still health-checked, so its state stays visible.",
      "Sent with If-Match: version 4 of pool web; refused if it changed since this page read it.",
    ]);
    expect(actionFor("disable-pool", web, undefined, [www, api])?.lines[0]).toBe(
      "Pool web counts as unhealthy: www, api stop sending to it and fail over to their next healthy pool or their fallback pool.",
    );
    expect(actionFor("disable-pool", web, undefined, [])?.lines[0]).toMatch(/no load balancer uses it/);
  });

  it("knows no action for an origin the pool does not have", () => {
    expect(actionFor("drain", web, "gone", [])).toBeUndefined();
  });

  it("says when someone else already made the change", () => {
    const changed: PoolResource = {
      id: "web",
      enabled: false,
      origins: [
        { name: "a", weight: 0 },
        { name: "b", weight: 2, enabled: false },
      ],
    };
    expect(alreadyDone("drain", changed, "a")).toBe(
      "Nothing was changed: origin a of pool web is already drained.",
    );
    expect(alreadyDone("undrain", changed, "b")).toBe(
      "Nothing was changed: origin b of pool web is already taking requests.",
    );
    expect(alreadyDone("disable-origin", changed, "b")).toMatch(/origin b of pool web is already disabled/);
    expect(alreadyDone("disable-pool", changed, undefined)).toBe(
      "Nothing was changed: pool web is already disabled.",
    );
    expect(alreadyDone("undrain", changed, "a")).toBeUndefined();
    expect(alreadyDone("enable-origin", changed, "b")).toBeUndefined();
    expect(alreadyDone("enable-pool", changed, undefined)).toBeUndefined();
  });
});

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
