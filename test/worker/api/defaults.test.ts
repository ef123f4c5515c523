/**
 * API.md, "Pools" and "Load balancers": every default a minimal create fills, and GET returns it.
 */
import { describe, expect, it } from "vitest";
import { HEALTH_CHECK_DEFAULTS, LB_DEFAULTS, ORIGIN_DEFAULTS, POOL_DEFAULTS } from "./resource-defaults.ts";
import { API, call, create, errorPaths, json, lbInput, poolInput } from "./support.ts";

describe("pool defaults", () => {
  it("fills every default on a minimal create and GET returns the same", async () => {
    const created = await create("pools", poolInput("min-pool"));
    const got = await json(await call("GET", `${API}/pools/min-pool`));
    expect(got).toEqual(created);
    expect(got).toEqual({
      id: "min-pool",
      ...POOL_DEFAULTS,
      origins: [
        { name: "a", address: "http://127.0.0.1:9001", ...ORIGIN_DEFAULTS },
        { name: "b", address: "http://127.0.0.1:9002", ...ORIGIN_DEFAULTS },
      ],
      version: created.version,
    });
  });

  it("turns healthCheck {} and passiveHealth {} into all their defaults", async () => {
    await create("pools", poolInput("hc-empty", { healthCheck: {}, passiveHealth: {} }));
    const got = await json(await call("GET", `${API}/pools/hc-empty`));
    expect(got.healthCheck).toEqual(HEALTH_CHECK_DEFAULTS);
    expect(got.passiveHealth).toEqual(POOL_DEFAULTS.passiveHealth);
  });

  it("accepts a short health check interval without a timeout, and stores no derived timeout", async () => {
    await create("pools", poolInput("hc-fast", { healthCheck: { intervalSeconds: 1 } }));
    const got = await json<{ healthCheck: { intervalSeconds: number; timeoutMs?: number } }>(
      await call("GET", `${API}/pools/hc-fast`),
    );
    expect(got.healthCheck.intervalSeconds).toBe(1);
    expect(got.healthCheck).not.toHaveProperty("timeoutMs");
  });

  it("lets a PATCH change only the interval, and an edited export apply, when no timeout was set", async () => {
    await create("pools", poolInput("hc-patch", { healthCheck: {} }));
    const patched = await call("PATCH", `${API}/pools/hc-patch`, {
      body: { healthCheck: { intervalSeconds: 2 } },
      contentType: "application/merge-patch+json",
    });
    expect(patched.status).toBe(200);
    expect(await json(patched)).toMatchObject({ healthCheck: { intervalSeconds: 2 } });

    const exported = await json<{ pools: { id: string; healthCheck: Record<string, unknown> | null }[] }>(
      await call("GET", `${API}/config`),
    );
    const pool = exported.pools.find((p) => p.id === "hc-patch")!;
    pool.healthCheck = { ...pool.healthCheck, intervalSeconds: 1 };
    const applied = await call("PUT", `${API}/config`, { body: exported });
    expect(applied.status).toBe(200);
    // A timeout the client did set is kept and still checked against the interval.
    const explicit = await call("PATCH", `${API}/pools/hc-patch`, {
      body: { healthCheck: { intervalSeconds: 10, timeoutMs: 4000 } },
      contentType: "application/merge-patch+json",
    });
    expect(explicit.status).toBe(200);
    const shorter = await call("PATCH", `${API}/pools/hc-patch`, {
      body: { healthCheck: { intervalSeconds: 3 } },
      contentType: "application/merge-patch+json",
    });
    expect(await errorPaths(shorter)).toEqual(["healthCheck.timeoutMs"]);
  });

  it("accepts healthCheck null and every algorithm and hashOn form", async () => {
    await create("pools", poolInput("hc-null", { healthCheck: null }));
    for (const algorithm of [
      "round_robin",
      "random",
      "least_connections",
      "least_request",
      "least_time",
      "hash",
      "first",
    ]) {
      await create("pools", poolInput(`alg-${algorithm.replaceAll("_", "-")}`, { algorithm }));
    }
    for (const [i, hashOn] of ["ip", "path", "header:x-user", "cookie:sid", "query:user"].entries()) {
      await create("pools", poolInput(`hash-${i}`, { algorithm: "hash", hashOn }));
    }
    expect(
      await errorPaths(
        await call("POST", `${API}/pools`, { body: poolInput("alg-bad", { algorithm: "fastest" }) }),
      ),
    ).toEqual(["algorithm"]);
    expect(
      await errorPaths(
        await call("POST", `${API}/pools`, { body: poolInput("hash-bad", { hashOn: "header:" }) }),
      ),
    ).toEqual(["hashOn"]);
  });
});

describe("load balancer defaults", () => {
  it("fills every default on a minimal create and GET returns the same", async () => {
    await create("pools", poolInput("lb-min-pool"));
    const created = await create("load_balancers", {
      id: "lb-min",
      hostname: "min.contract.test",
      pools: ["lb-min-pool"],
    });
    const got = await json(await call("GET", `${API}/load_balancers/lb-min`));
    expect(got).toEqual(created);
    expect(got).toMatchObject({
      id: "lb-min",
      hostname: "min.contract.test",
      pools: ["lb-min-pool"],
      ...LB_DEFAULTS,
    });
  });

  it("turns nested {} into all their defaults", async () => {
    await create("pools", poolInput("lb-nested-pool"));
    await create(
      "load_balancers",
      lbInput("lb-nested", ["lb-nested-pool"], {
        sessionAffinity: {},
        retries: {},
        timeouts: {},
      }),
    );
    const got = await json(await call("GET", `${API}/load_balancers/lb-nested`));
    expect(got).toMatchObject(LB_DEFAULTS);
  });
});
