/**
 * Health checks from several regions (`healthCheck.regions`) inside workerd. Location hints are
 * ignored locally, so the regions' probers are separate objects on this machine; the test origin
 * (global-setup.ts, `/region-fails/<regions>`) fails only the probes whose
 * `x-edge-lb-probe-region` header names one of the listed regions, which is how a test tells the
 * regions apart. The PoolState combines their verdicts: healthy by a strict majority.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { PoolState } from "../../../../durable-objects/pool-state/index.ts";
import type { PROBE_REGIONS } from "../../../../worker/config/schema.ts";
import { configurePoolState, installPools, sequence } from "../../edge/support.ts";
import { installClock, makePool, ORIGIN, poolStateWithClock, TestClock } from "./fixtures.ts";

const used: DurableObjectStub<PoolState>[] = [];

afterEach(async () => {
  for (const stub of used.splice(0)) await stub.configure(null);
});

type Region = (typeof PROBE_REGIONS)[number];
const REGIONS: Region[] = ["wnam", "weur", "apac"];
/** Fails the probes of one of the three regions. */
const FAILS_FOR_ONE = `${ORIGIN}/region-fails/weur`;
/** Fails the probes of two of the three regions. */
const FAILS_FOR_TWO = `${ORIGIN}/region-fails/weur,apac`;

function regionalCheck(regions: Region[] = REGIONS) {
  return { intervalSeconds: 10, timeoutMs: 2000, healthyThreshold: 1, unhealthyThreshold: 1, regions };
}

async function regionalPool(regions: Region[] = REGIONS) {
  const clock = new TestClock();
  const { id, stub } = await poolStateWithClock(clock);
  used.push(stub);
  const input = {
    origins: [
      { name: "a", address: FAILS_FOR_ONE },
      { name: "b", address: FAILS_FOR_TWO },
    ],
    healthCheck: regionalCheck(regions),
  };
  await stub.configure(makePool(id, input));
  return { clock, id, stub, input };
}

async function originsOf(stub: DurableObjectStub<PoolState>) {
  const health = await stub.health();
  return Object.fromEntries((health?.origins ?? []).map((origin) => [origin.name, origin]));
}

async function storedRegions(stub: DurableObjectStub<PoolState>): Promise<string[]> {
  return runInDurableObject(stub, (_instance: PoolState, state) =>
    state.storage.sql
      .exec<{ key: string }>("SELECT name || '@' || region AS key FROM origin_regions ORDER BY key")
      .toArray()
      .map((row) => row.key),
  );
}

describe("health checks from several regions", () => {
  it("is healthy when 2 of 3 regions see it healthy, unhealthy when 2 of 3 fail it, and shows each region", async () => {
    const { clock, stub } = await regionalPool();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const origins = await originsOf(stub);
    expect(origins.a).toMatchObject({ state: "healthy", healthy: true });
    expect(origins.b).toMatchObject({ state: "unhealthy", healthy: false });
    const at = new Date(clock.t).toISOString();
    expect(origins.a?.regions).toEqual({
      wnam: { healthy: true, lastCheckAt: at, latencyMs: expect.any(Number), lastError: null },
      weur: {
        healthy: false,
        lastCheckAt: at,
        latencyMs: expect.any(Number),
        lastError: "unexpected status 503 (expected 2xx)",
      },
      apac: { healthy: true, lastCheckAt: at, latencyMs: expect.any(Number), lastError: null },
    });
    expect(Object.entries(origins.b?.regions ?? {}).map(([r, v]) => [r, v.healthy])).toEqual([
      ["wnam", true],
      ["weur", false],
      ["apac", false],
    ]);
    expect(origins.b?.lastError).toContain("weur: unexpected status 503");
    const events = await stub.events(100);
    expect(events.filter((e) => e.kind === "origin_unhealthy").map((e) => e.message)).toEqual([
      expect.stringContaining("origin b is unhealthy by 2 of 3 regions"),
    ]);
    expect(events.filter((e) => e.kind === "origin_healthy").map((e) => e.message)).toEqual([
      "origin a is healthy by 2 of 3 regions",
    ]);
  });

  it("records one event per change of the combined verdict, however many regions report", async () => {
    const { clock, stub } = await regionalPool();
    for (let round = 0; round < 3; round++) {
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      clock.advance(10_000);
    }
    const events = await stub.events(100);
    expect(events.filter((e) => e.kind === "origin_unhealthy" && e.origin === "b")).toHaveLength(1);
    expect(events.filter((e) => e.kind === "origin_healthy" && e.origin === "a")).toHaveLength(1);
    expect(events.filter((e) => e.kind === "origin_unhealthy" && e.origin === "a")).toHaveLength(0);
  });

  it("keeps no state of a region or origin the configuration dropped, and judges by the regions left", async () => {
    const { clock, id, stub, input } = await regionalPool();
    await runDurableObjectAlarm(stub);
    expect(await storedRegions(stub)).toEqual(["a@apac", "a@weur", "a@wnam", "b@apac", "b@weur", "b@wnam"]);
    // Two regions left, b failing for one of them: an even split is no majority, b stays out.
    await stub.configure(
      makePool(id, { ...input, healthCheck: regionalCheck(["wnam", "weur"]), version: 2 }),
    );
    expect(await storedRegions(stub)).toEqual(["a@weur", "a@wnam", "b@weur", "b@wnam"]);
    let origins = await originsOf(stub);
    expect(Object.keys(origins.b?.regions ?? {})).toEqual(["wnam", "weur"]);
    expect(origins.b?.state).toBe("unhealthy");
    // The one region left sees b healthy: so is b, at once, and that is one event.
    await stub.configure(makePool(id, { ...input, healthCheck: regionalCheck(["wnam"]), version: 3 }));
    expect(await storedRegions(stub)).toEqual(["a@wnam", "b@wnam"]);
    origins = await originsOf(stub);
    expect(origins.b).toMatchObject({ state: "healthy", regions: { wnam: { healthy: true } } });
    const healthy = (await stub.events(100)).filter((e) => e.kind === "origin_healthy" && e.origin === "b");
    expect(healthy.map((e) => e.message)).toEqual(["origin b is healthy again by 1 of 1 regions"]);
    // A new origin under b's name (another address) starts without regional state.
    await stub.configure(
      makePool(id, {
        origins: [input.origins[0]!, { name: "b", address: `${ORIGIN}/region-fails/apac` }],
        healthCheck: regionalCheck(["wnam"]),
        version: 4,
      }),
    );
    expect(await storedRegions(stub)).toEqual(["a@wnam"]);
    // Back to one prober: no regional state, no regions in the health API, no region header.
    await stub.configure(makePool(id, { ...input, healthCheck: regionalCheck([]), version: 5 }));
    expect(await storedRegions(stub)).toEqual([]);
    clock.advance(10_000);
    await installClock(stub, clock);
    await runDurableObjectAlarm(stub);
    origins = await originsOf(stub);
    expect(origins.b).toMatchObject({ state: "healthy" });
    expect(origins.b?.regions).toBeUndefined();
  });

  it("agrees with the edge: a proxied request avoids the origin the regions' quorum failed", async () => {
    const id = `regions-${Date.now().toString(36)}`;
    const hostname = `${id}.test`;
    const [pool] = installPools(
      [
        {
          id,
          origins: [
            { name: "a", address: FAILS_FOR_ONE },
            { name: "b", address: FAILS_FOR_TWO },
          ],
          healthCheck: { ...regionalCheck(), intervalSeconds: 60 },
        },
      ],
      [{ id, hostname, pools: [id], retries: { attempts: 0 }, debugHeaders: true }],
    );
    const state = await configurePoolState(pool!);
    used.push(state);
    await runDurableObjectAlarm(state);
    const health = await originsOf(state);
    expect([health.a?.healthy, health.b?.healthy]).toEqual([true, false]);
    // The first request may route on the edge's cold view; from then on the snapshot decides.
    await sequence(`http://${hostname}/`, 1);
    const results = await sequence(`http://${hostname}/`, 10);
    expect(results).toEqual(Array.from({ length: 10 }, () => ({ status: 200, origin: "a" })));
  });
});
