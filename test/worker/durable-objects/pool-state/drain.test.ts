import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { API, call, createLoadBalancer, createPool, json, READ_TOKEN } from "../../api/support.ts";
import { ORIGIN, send } from "../../proxy/support.ts";

interface DrainAnswer {
  pool: string;
  origin: string;
  weight: number;
  drained: boolean;
  restoreWeight: number | null;
  changed: boolean;
  state: string;
  inflight: number;
}

interface PoolBody {
  origins: { name: string; weight: number }[];
  version: number;
}

const twoOrigins = (weightA = 3) => ({
  origins: [
    { name: "a", address: `${ORIGIN}/a`, weight: weightA },
    { name: "b", address: `${ORIGIN}/b` },
  ],
});

async function weights(pool: string): Promise<Record<string, number>> {
  const body = await json<PoolBody>(await call("GET", `${API}/pools/${pool}`));
  return Object.fromEntries(body.origins.map((o) => [o.name, o.weight]));
}

/** Reports `inflight` requests to origin `a` in flight from one isolate, as an edge would. */
async function reportInflight(pool: string, inflight: number): Promise<void> {
  await env.POOL_STATE.getByName(pool).report({
    isolateId: "test-isolate",
    sentAt: Date.now(),
    origins: { a: { inflight, requests: 0, failures: 0, consecutiveFailures: 0 } },
  });
}

describe("drain and undrain", () => {
  it("drains to weight 0, reports draining while requests are in flight, and undrain restores the weight", async () => {
    await createPool("drain-cycle", twoOrigins(3));
    await reportInflight("drain-cycle", 2);

    const drained = await call("POST", `${API}/pools/drain-cycle/origins/a/drain`);
    expect(drained.status).toBe(200);
    expect(await json<DrainAnswer>(drained)).toMatchObject({
      pool: "drain-cycle",
      origin: "a",
      weight: 0,
      drained: true,
      restoreWeight: 3,
      changed: true,
      state: "draining",
      inflight: 2,
    });
    expect(await weights("drain-cycle")).toEqual({ a: 0, b: 1 });

    await reportInflight("drain-cycle", 0);
    const health = await json<{ origins: { name: string; state: string }[] }>(
      await call("GET", `${API}/pools/drain-cycle/health`),
    );
    expect(health.origins.find((o) => o.name === "a")?.state).not.toBe("draining");

    const again = await json<DrainAnswer>(await call("POST", `${API}/pools/drain-cycle/origins/a/drain`));
    expect(again).toMatchObject({ weight: 0, changed: false, restoreWeight: 3 });

    const restored = await call("POST", `${API}/pools/drain-cycle/origins/a/undrain`);
    expect(restored.status).toBe(200);
    expect(await json<DrainAnswer>(restored)).toMatchObject({ weight: 3, drained: false, changed: true });
    expect(await weights("drain-cycle")).toEqual({ a: 3, b: 1 });

    const noop = await json<DrainAnswer>(await call("POST", `${API}/pools/drain-cycle/origins/a/undrain`));
    expect(noop).toMatchObject({ weight: 3, changed: false });
  });

  it("records the change in the audit log like any other pool change", async () => {
    await createPool("drain-audit", twoOrigins());
    await call("POST", `${API}/pools/drain-audit/origins/b/drain`);
    const audit = await json<{ items: { id: string; change: string }[] }>(await call("GET", `${API}/audit`));
    const entry = audit.items.find((item) => item.id === "drain-audit" && item.change.includes("weight"));
    expect(entry?.change).toContain("origins[1].weight");
  });

  it("undrains an origin set to weight 0 by hand to weight 1", async () => {
    await createPool("drain-manual", twoOrigins(0));
    const answer = await json<DrainAnswer>(await call("POST", `${API}/pools/drain-manual/origins/a/undrain`));
    expect(answer).toMatchObject({ weight: 1, changed: true });
  });

  it("stops new traffic to a drained origin at once", async () => {
    await createPool("drain-traffic", twoOrigins(1));
    await createLoadBalancer("drain-traffic", ["drain-traffic"], {
      hostname: "drain-traffic.test",
      debugHeaders: true,
    });
    await call("POST", `${API}/pools/drain-traffic/origins/a/drain`);
    const origins = new Set<string | null>();
    for (let i = 0; i < 10; i++) {
      const response = await send("http://drain-traffic.test/");
      expect(response.status).toBe(200);
      origins.add(response.headers.get("x-lb-origin"));
      await response.body?.cancel();
    }
    expect([...origins]).toEqual(["b"]);
  });

  it("answers 404 for an unknown pool or origin, 403 for the read token", async () => {
    await createPool("drain-errors", twoOrigins());
    const unknownOrigin = await call("POST", `${API}/pools/drain-errors/origins/zz/drain`);
    expect(unknownOrigin.status).toBe(404);
    expect(unknownOrigin.headers.get("content-type")).toBe("application/problem+json");
    expect((await call("POST", `${API}/pools/nope/origins/a/undrain`)).status).toBe(404);
    expect(
      (await call("POST", `${API}/pools/drain-errors/origins/a/drain`, { token: READ_TOKEN })).status,
    ).toBe(403);
    expect(await weights("drain-errors")).toEqual({ a: 3, b: 1 });
  });
});

describe("GET /pools/{id}/health", () => {
  it("answers every origin of a pool, unknown before any verdict", async () => {
    await createPool("health-new", {
      ...twoOrigins(),
      healthCheck: { intervalSeconds: 60, timeoutMs: 1000 },
    });
    const response = await call("GET", `${API}/pools/health-new/health`, { token: READ_TOKEN });
    expect(response.status).toBe(200);
    const body = await json<{ pool: string; healthy: boolean; origins: { name: string }[] }>(response);
    expect(body.pool).toBe("health-new");
    expect(body.healthy).toBe(true);
    expect(body.origins.map((o) => o.name)).toEqual(["a", "b"]);
    // Deleting the pool stops its probes.
    expect((await call("DELETE", `${API}/pools/health-new`)).status).toBe(204);
  });

  it("answers 404 for an unknown pool", async () => {
    const response = await call("GET", `${API}/pools/no-such-pool/health`);
    expect(response.status).toBe(404);
  });
});
