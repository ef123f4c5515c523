/**
 * API.md, "Pools" and "Load balancers": every default, every limit, PUT and PATCH semantics.
 */
import { describe, expect, it } from "vitest";
import { API, call, create, errorPaths, expectProblem, json, lbInput, poolInput } from "./support.ts";

const HEALTH_CHECK_DEFAULTS = {
  enabled: true,
  path: "/",
  method: "GET",
  headers: {},
  expectedCodes: "2xx",
  expectedBody: null,
  intervalSeconds: 15,
  // timeoutMs: absent; the check runs with 5000 ms, or half the interval when shorter (never stored).
  healthyThreshold: 2,
  unhealthyThreshold: 3,
  followRedirects: false,
  type: "http",
  regions: [],
};

const POOL_DEFAULTS = {
  description: "",
  enabled: true,
  algorithm: "round_robin",
  hashOn: "ip",
  minimumOrigins: 1,
  slowStartSeconds: 0,
  healthCheck: null,
  passiveHealth: {
    enabled: true,
    consecutiveFailures: 5,
    ejectionSeconds: 30,
    maxEjectionPercent: 50,
    failOn: "gateway",
    failureRatePercent: null,
    minRequests: 20,
  },
};

const ORIGIN_DEFAULTS = {
  weight: 1,
  enabled: true,
  backup: false,
  hostHeader: null,
  headers: {},
  maxConnections: null,
};

const LB_DEFAULTS = {
  pathPrefix: "/",
  enabled: true,
  fallbackPool: null,
  steering: "failover",
  poolWeights: {},
  regionPools: {},
  countryPools: {},
  sessionAffinity: {
    type: "none",
    cookieName: "__lb",
    headerName: null,
    ttlSeconds: 82800,
    onOriginFailure: "reselect",
    drainSeconds: 0,
  },
  retries: {
    attempts: 2,
    onStatus: [502, 503, 504],
    methods: ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"],
    bufferBodyBytes: 65536,
  },
  timeouts: { requestMs: 30000 },
  debugHeaders: false,
};

function origins(count: number, extra: Record<string, unknown> = {}): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `o${i}`,
    address: `http://10.0.0.1:${i + 1}`,
    ...extra,
  }));
}

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

describe("pool limits", () => {
  it("takes 1 to 1000 origins", async () => {
    expect(
      await errorPaths(await call("POST", `${API}/pools`, { body: poolInput("none", { origins: [] }) })),
    ).toEqual(["origins"]);
    await create("pools", poolInput("thousand", { origins: origins(1000) }));
    const over = await call("POST", `${API}/pools`, {
      body: poolInput("thousand-one", { origins: origins(1001) }),
    });
    expect(await errorPaths(over)).toEqual(["origins"]);
  });

  it("takes weights 0 to 1000", async () => {
    await create("pools", poolInput("w-zero", { origins: origins(1, { weight: 0 }) }));
    await create("pools", poolInput("w-max", { origins: origins(1, { weight: 1000 }) }));
    for (const weight of [-1, 1001, "1", null, true]) {
      const response = await call("POST", `${API}/pools`, {
        body: poolInput("w-bad", { origins: origins(1, { weight }) }),
      });
      expect(await errorPaths(response, String(weight))).toEqual(["origins[0].weight"]);
    }
  });

  it("refuses duplicate origin names and addresses that are not http(s)", async () => {
    const dup = await call("POST", `${API}/pools`, {
      body: poolInput("dup-names", { origins: [...origins(1), ...origins(1)] }),
    });
    expect(await errorPaths(dup)).toEqual(["origins[1].name"]);
    for (const address of ["ftp://x", "x", "//x", "http://u:p@x", "http://x/?q", "http://x/#f", "http://"]) {
      const response = await call("POST", `${API}/pools`, {
        body: poolInput("bad-addr", { origins: [{ name: "a", address }] }),
      });
      expect(await errorPaths(response, address)).toEqual(["origins[0].address"]);
    }
    await create(
      "pools",
      poolInput("good-addr", { origins: [{ name: "a", address: "https://eu1.example.com:8443/base" }] }),
    );
  });

  it("bounds the health check interval 1..3600 and the timeout below it", async () => {
    for (const intervalSeconds of [0, 3601, 1.5]) {
      const response = await call("POST", `${API}/pools`, {
        body: poolInput("iv", { healthCheck: { intervalSeconds } }),
      });
      expect(await errorPaths(response, String(intervalSeconds))).toContain("healthCheck.intervalSeconds");
    }
    const slow = await call("POST", `${API}/pools`, {
      body: poolInput("iv", { healthCheck: { intervalSeconds: 2, timeoutMs: 2000 } }),
    });
    expect(await errorPaths(slow)).toEqual(["healthCheck.timeoutMs"]);
    await create("pools", poolInput("iv-max", { healthCheck: { intervalSeconds: 3600 } }));
  });

  it("takes health check regions among the location hints, each once, and changes nothing otherwise", async () => {
    for (const regions of [["mars"], ["weur", "weur"], "weur", ["WEUR"]]) {
      const response = await call("POST", `${API}/pools`, {
        body: poolInput("rg", { healthCheck: { regions } }),
      });
      const paths = await errorPaths(response, JSON.stringify(regions));
      expect(paths.every((path) => path.startsWith("healthCheck.regions"))).toBe(true);
    }
    expect((await call("GET", `${API}/pools/rg`)).status).toBe(404);
    const created = await create(
      "pools",
      poolInput("rg", { healthCheck: { regions: ["wnam", "weur", "apac"] } }),
    );
    expect((created.healthCheck as { regions: string[] }).regions).toEqual(["wnam", "weur", "apac"]);
  });
});

describe("load balancer defaults and limits", () => {
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

  it("accepts exact, wildcard and localhost hostnames and refuses others at hostname", async () => {
    await create("pools", poolInput("host-pool"));
    for (const [id, hostname] of [
      ["host-exact", "www.host.test"],
      ["host-wild", "*.host.test"],
      ["host-local", "localhost"],
      ["host-ip", "127.0.0.1"],
    ]) {
      await create("load_balancers", lbInput(id as string, ["host-pool"], { hostname }));
    }
    for (const hostname of [
      "",
      "*",
      "*.",
      "a..b",
      "http://x.test",
      "x.test/",
      "x.test:80",
      "a b",
      "*.*.x",
      "é.test",
      42,
    ]) {
      const response = await call("POST", `${API}/load_balancers`, {
        body: lbInput("host-bad", ["host-pool"], { hostname }),
      });
      expect(await errorPaths(response, String(hostname))).toEqual(["hostname"]);
    }
  });

  it("takes 1 to 20 pools that all exist, and a fallback pool that exists", async () => {
    const ids = Array.from({ length: 21 }, (_, i) => `many-${i}`);
    for (const id of ids) await create("pools", poolInput(id));
    await create("load_balancers", lbInput("twenty", ids.slice(0, 20)));
    expect(
      await errorPaths(await call("POST", `${API}/load_balancers`, { body: lbInput("zero", []) })),
    ).toEqual(["pools"]);
    expect(
      await errorPaths(await call("POST", `${API}/load_balancers`, { body: lbInput("too-many", ids) })),
    ).toEqual(["pools"]);
    const missing = await call("POST", `${API}/load_balancers`, {
      body: lbInput("missing", ["many-0", "ghost"]),
    });
    expect(await errorPaths(missing)).toEqual(["pools[1]"]);
    const fallback = await call("POST", `${API}/load_balancers`, {
      body: lbInput("fb", ["many-0"], { fallbackPool: "ghost" }),
    });
    expect(await errorPaths(fallback)).toEqual(["fallbackPool"]);
    await create("load_balancers", lbInput("fb-ok", ["many-0"], { fallbackPool: "many-1" }));
  });

  it("refuses to delete a pool in use (409 naming the load balancers)", async () => {
    await create("pools", poolInput("busy"));
    await create("load_balancers", lbInput("busy-user", ["busy"]));
    const problem = await expectProblem(await call("DELETE", `${API}/pools/busy`), 409);
    expect(problem.detail).toContain("busy-user");
    expect((await call("GET", `${API}/pools/busy`)).status).toBe(200);
  });
});

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
