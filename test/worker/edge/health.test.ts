import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { PoolState } from "../../../durable-objects/pool-state/index.ts";
import { acceptPoolSnapshot } from "../../../worker/edge/pool-state-cache.ts";
import { ORIGIN, problemOf, REFUSING, send } from "../proxy/support.ts";
import { configurePoolState, eventually, installPools, sequence } from "./support.ts";

const configured: DurableObjectStub<PoolState>[] = [];

afterEach(async () => {
  for (const stub of configured.splice(0)) await stub.configure(null);
});

/** `a` answers every path with the status named by the check path or request path (`/503`, `/200`). */
const statusOrigin = { name: "a", address: `${ORIGIN}/status` };
const goodOrigin = { name: "b", address: ORIGIN };
const failingCheck = {
  path: "/503",
  intervalSeconds: 60,
  timeoutMs: 1000,
  healthyThreshold: 1,
  unhealthyThreshold: 1,
};

/** Installs the pool at the edge and in its PoolState, then runs one probe round. */
async function poolWithVerdicts(
  pool: Parameters<typeof installPools>[0][number],
  lbs: Parameters<typeof installPools>[1],
) {
  const [parsed] = installPools([pool], lbs);
  const stub = await configurePoolState(parsed!);
  configured.push(stub);
  await runDurableObjectAlarm(stub);
  return stub;
}

describe("passive health at the edge", () => {
  it("ejects an origin here as soon as it fails consecutiveFailures times in a row", async () => {
    installPools(
      [
        {
          id: "local-eject",
          origins: [{ name: "a", address: REFUSING }, goodOrigin],
          passiveHealth: { consecutiveFailures: 2 },
        },
      ],
      [
        {
          id: "local-eject",
          hostname: "local-eject.test",
          pools: ["local-eject"],
          retries: { attempts: 0 },
          debugHeaders: true,
        },
      ],
    );
    const results = await sequence("http://local-eject.test/", 12);
    expect(results.filter((r) => r.status === 502)).toHaveLength(2);
    // After the second failure nothing more goes to the failing origin.
    const lastFailure = results.map((r) => r.status).lastIndexOf(502);
    expect(results.slice(lastFailure + 1).every((r) => r.status === 200 && r.origin === "b")).toBe(true);
  });

  it("reports the failures so the PoolState ejects the origin for every edge, recorded once", async () => {
    const [pool] = installPools(
      [
        {
          id: "global-eject",
          origins: [{ name: "a", address: REFUSING }, goodOrigin],
          passiveHealth: { consecutiveFailures: 2, ejectionSeconds: 30 },
        },
      ],
      [{ id: "global-eject", hostname: "global-eject.test", pools: ["global-eject"], debugHeaders: true }],
    );
    const stub = await configurePoolState(pool!);
    configured.push(stub);
    // The failing attempts are retried on the other origin: the client never sees them.
    const results = await sequence("http://global-eject.test/", 8);
    expect(results.every((r) => r.status === 200 && r.origin === "b")).toBe(true);
    await eventually(async () => (await stub.health())?.origins[0]?.state === "ejected", "global ejection");
    const ejections = (await stub.events(100)).filter((e) => e.kind === "origin_ejected");
    expect(ejections.map((e) => e.subject)).toEqual(["global-eject/a"]);
  });
});

describe("active health at the edge", () => {
  it("sends nothing to an origin the PoolState found unhealthy", async () => {
    await poolWithVerdicts(
      { id: "verdict", origins: [statusOrigin, goodOrigin], healthCheck: failingCheck },
      [
        {
          id: "verdict",
          hostname: "verdict.test",
          pools: ["verdict"],
          retries: { attempts: 0 },
          debugHeaders: true,
        },
      ],
    );
    // The first request of a cold isolate fetches the snapshot; every one after routes by it.
    await send("http://verdict.test/200");
    const results = await sequence("http://verdict.test/200", 10);
    expect(results).toEqual(Array.from({ length: 10 }, () => ({ status: 200, origin: "b" })));
  });
});

describe("failover at the edge", () => {
  it("moves to the next pool when the first is unhealthy", async () => {
    const [primary, secondary] = installPools(
      [
        { id: "fo-p", origins: [statusOrigin], healthCheck: failingCheck },
        { id: "fo-s", origins: [goodOrigin] },
      ],
      [
        {
          id: "fo",
          hostname: "fo.test",
          pools: ["fo-p", "fo-s"],
          retries: { attempts: 0 },
          debugHeaders: true,
        },
      ],
    );
    const stub = await configurePoolState(primary!);
    configured.push(stub);
    configured.push(await configurePoolState(secondary!));
    await runDurableObjectAlarm(stub);
    await send("http://fo.test/200");
    const response = await send("http://fo.test/200");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-lb-pool")).toBe("fo-s");
  });

  it("keeps the next pool serving when an ejection in the failed pool ends before the edge hears more", async () => {
    const back = { name: "b", address: `${ORIGIN}/status` };
    const [primary, secondary] = installPools(
      [
        { id: "lapse-p", origins: [statusOrigin, back], healthCheck: failingCheck },
        { id: "lapse-s", origins: [goodOrigin] },
      ],
      [{ id: "lapse", hostname: "lapse.test", pools: ["lapse-p", "lapse-s"], debugHeaders: true }],
    );
    const stub = await configurePoolState(primary!);
    configured.push(stub);
    configured.push(await configurePoolState(secondary!));
    await runDurableObjectAlarm(stub);
    await send("http://lapse.test/200");
    // What this isolate last heard of the primary, from before the PoolState's checks failed b: b
    // passed its checks but was ejected for a moment. The PoolState holds both origins unhealthy.
    const truth = await stub.snapshot();
    const heardAt = Date.now();
    const seenB = truth!.origins.b!;
    acceptPoolSnapshot(
      "lapse-p",
      {
        ...truth!,
        at: heardAt,
        origins: { ...truth!.origins, b: { ...seenB, check: "healthy", ejectedUntil: heardAt + 50 } },
      },
      heardAt,
    );
    await new Promise((resolve) => setTimeout(resolve, 150));

    const response = await send("http://lapse.test/200");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-lb-pool")).toBe("lapse-s");
    expect((await stub.health())?.healthy).toBe(false);
    expect((await stub.timeline(10))?.events.map((e) => e.kind)).not.toContain("pool_healthy");
  });

  it("falls through a pool whose origins are all drained to the next pool", async () => {
    installPools(
      [
        { id: "drained-p", origins: [{ ...goodOrigin, weight: 0 }] },
        { id: "drained-s", origins: [goodOrigin] },
      ],
      [{ id: "drained", hostname: "drained.test", pools: ["drained-p", "drained-s"], debugHeaders: true }],
    );
    const response = await send("http://drained.test/");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-lb-pool")).toBe("drained-s");
  });

  it("serves from the fallback pool when no pool is healthy, ignoring its health", async () => {
    const [primary, fallback] = installPools(
      [
        { id: "fb-p", origins: [statusOrigin], healthCheck: failingCheck },
        { id: "fb-f", origins: [{ ...statusOrigin, name: "f" }], healthCheck: failingCheck },
      ],
      [
        { id: "fb", hostname: "fb.test", pools: ["fb-p"], fallbackPool: "fb-f", debugHeaders: true },
        { id: "fb-none", hostname: "fb-none.test", pools: ["fb-p"], debugHeaders: true },
      ],
    );
    for (const pool of [primary!, fallback!]) {
      const stub = await configurePoolState(pool);
      configured.push(stub);
      await runDurableObjectAlarm(stub);
    }
    await send("http://fb.test/200");
    const served = await send("http://fb.test/200");
    expect(served.status).toBe(200);
    expect(served.headers.get("x-lb-pool")).toBe("fb-f");

    await send("http://fb-none.test/200");
    const refused = await send("http://fb-none.test/200");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await problemOf(refused)).type).toContain("no-healthy-origin");
  });

  it("retries on the next pool when every origin of the chosen pool fails", async () => {
    installPools(
      [
        { id: "spill-p", origins: [{ name: "a", address: REFUSING }] },
        { id: "spill-s", origins: [goodOrigin] },
      ],
      [{ id: "spill", hostname: "spill.test", pools: ["spill-p", "spill-s"], debugHeaders: true }],
    );
    const response = await send("http://spill.test/");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-lb-pool")).toBe("spill-s");
    expect(response.headers.get("x-lb-origin")).toBe("b");
  });
});

describe("slow start at the edge", () => {
  it("gives an origin that just joined a serving pool a small share at first", async () => {
    const origins = [goodOrigin, { name: "c", address: `${ORIGIN}/c` }];
    const [pool] = installPools(
      [{ id: "slow-start", origins, slowStartSeconds: 60 }],
      [{ id: "slow-start", hostname: "slow-start.test", pools: ["slow-start"], debugHeaders: true }],
    );
    const stub = env.POOL_STATE.getByName(pool!.id);
    configured.push(stub);
    // b has served for two minutes when c joins.
    let clock = Date.now() - 120_000;
    await runInDurableObject(stub, (instance: PoolState) => {
      (instance as unknown as { now: () => number }).now = () => clock;
    });
    await stub.configure({ ...pool!, origins: pool!.origins.slice(0, 1) });
    clock = Date.now();
    await stub.configure(pool!);

    await send("http://slow-start.test/");
    const results = await sequence("http://slow-start.test/", 44);
    const toC = results.filter((r) => r.origin === "c").length;
    expect(results.every((r) => r.status === 200)).toBe(true);
    // At 10% of its weight c gets about one request in eleven, not one in two.
    expect(toC).toBeGreaterThanOrEqual(1);
    expect(toC).toBeLessThanOrEqual(10);
  });
});
