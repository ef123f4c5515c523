/**
 * API.md, "Pools" and "Load balancers": PUT replaces (what it leaves out returns to its default),
 * PATCH merges, and versions only grow.
 */
import { describe, expect, it } from "vitest";
import {
  HEALTH_CHECK_DEFAULTS,
  LB_DEFAULTS,
  ORIGIN_DEFAULTS,
  origins,
  POOL_DEFAULTS,
} from "./resource-defaults.ts";
import { API, call, create, json, lbInput, poolInput } from "./support.ts";

describe("PUT and PATCH", () => {
  it("PUT without optional fields resets them to their defaults, for both kinds", async () => {
    await create(
      "pools",
      poolInput("put-reset", {
        description: "d",
        enabled: false,
        algorithm: "hash",
        healthCheck: { path: "/h" },
        origins: origins(1, { weight: 5, backup: true }),
      }),
    );
    const replaced = await json(
      await call("PUT", `${API}/pools/put-reset`, { body: { origins: origins(1) } }),
    );
    expect(replaced).toMatchObject({ ...POOL_DEFAULTS, origins: [{ ...origins(1)[0], ...ORIGIN_DEFAULTS }] });
    await create(
      "load_balancers",
      lbInput("put-reset", ["put-reset"], {
        debugHeaders: true,
        retries: { attempts: 5 },
        sessionAffinity: { type: "cookie" },
      }),
    );
    const lb = await json(
      await call("PUT", `${API}/load_balancers/put-reset`, {
        body: { hostname: "put-reset.contract.test", pools: ["put-reset"] },
      }),
    );
    expect(lb).toMatchObject(LB_DEFAULTS);
  });

  it("PATCH merges nested objects, null resets a member to its default", async () => {
    await create("pools", poolInput("merge-lb-pool"));
    await create(
      "load_balancers",
      lbInput("merge-lb", ["merge-lb-pool"], {
        sessionAffinity: { type: "cookie", cookieName: "sid", ttlSeconds: 60 },
      }),
    );
    const patched = await json(
      await call("PATCH", `${API}/load_balancers/merge-lb`, {
        body: { sessionAffinity: { ttlSeconds: 120, cookieName: null }, timeouts: { requestMs: 5000 } },
        contentType: "application/merge-patch+json",
      }),
    );
    expect(patched.sessionAffinity).toEqual({
      ...LB_DEFAULTS.sessionAffinity,
      type: "cookie",
      ttlSeconds: 120,
    });
    expect(patched.timeouts).toEqual({ requestMs: 5000 });
    const reset = await json(
      await call("PATCH", `${API}/load_balancers/merge-lb`, { body: { sessionAffinity: null } }),
    );
    expect(reset.sessionAffinity).toEqual(LB_DEFAULTS.sessionAffinity);
  });

  it("PATCH of healthCheck on a pool without one starts from the defaults", async () => {
    await create("pools", poolInput("merge-hc"));
    const patched = await json(
      await call("PATCH", `${API}/pools/merge-hc`, { body: { healthCheck: { path: "/up" } } }),
    );
    expect(patched.healthCheck).toEqual({ ...HEALTH_CHECK_DEFAULTS, path: "/up" });
    const off = await json(await call("PATCH", `${API}/pools/merge-hc`, { body: { healthCheck: null } }));
    expect(off.healthCheck).toBeNull();
  });

  it("versions only grow, across kinds and writes", async () => {
    const seen: number[] = [];
    const created = await create("pools", poolInput("grow"));
    seen.push(created.version);
    for (const description of ["1", "2", "3"]) {
      const patched = await json<{ version: number }>(
        await call("PATCH", `${API}/pools/grow`, { body: { description } }),
      );
      seen.push(patched.version);
    }
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
  });
});
