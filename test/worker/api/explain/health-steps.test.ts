/**
 * `GET /explain` says when health decided the route in a way a plain verdict does not show: a
 * regional quorum, the panic rule of the fallback pool, a drain session. Each test also sends the
 * real request and checks that it went where explain said.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { PoolState } from "../../../../durable-objects/pool-state/index.ts";
import { createHashBalancer } from "../../../../worker/balancing/hash.ts";
import { configurePoolState, installPools } from "../../edge/support.ts";
import { ORIGIN, send } from "../../proxy/support.ts";
import { explain } from "./support.ts";

const configured: DurableObjectStub<PoolState>[] = [];

afterEach(async () => {
  for (const stub of configured.splice(0)) await stub.configure(null);
});

async function served(url: string, headers: Record<string, string> = {}) {
  const response = await send(url, { headers });
  await response.arrayBuffer();
  return {
    status: response.status,
    pool: response.headers.get("x-lb-pool"),
    origin: response.headers.get("x-lb-origin"),
  };
}

const unique = () => Date.now().toString(36) + Math.floor(Math.random() * 1e6).toString(36);

describe("explain names the health rule that decided", () => {
  it("gives each origin's regional verdict, and the request avoids the origin 2 of 3 regions fail", async () => {
    const id = `xr-${unique()}`;
    const [pool] = installPools(
      [
        {
          id,
          origins: [
            { name: "a", address: `${ORIGIN}/region-fails/weur` },
            { name: "b", address: `${ORIGIN}/region-fails/weur,apac` },
          ],
          healthCheck: {
            intervalSeconds: 60,
            timeoutMs: 2000,
            healthyThreshold: 1,
            unhealthyThreshold: 1,
            regions: ["wnam", "weur", "apac"],
          },
        },
      ],
      [{ id, hostname: `${id}.test`, pools: [id], retries: { attempts: 0 }, debugHeaders: true }],
    );
    const stub = await configurePoolState(pool!);
    configured.push(stub);
    await runDurableObjectAlarm(stub);
    const explained = await explain(`http://${id}.test/`);
    expect(explained.origins).toMatchObject([
      { name: "a", verdict: "usable", regions: "healthy by 2 of 3 regions" },
      { name: "b", verdict: "unhealthy", regions: "unhealthy by 2 of 3 regions" },
    ]);
    expect(explained.origin?.name).toBe("a");
    for (let i = 0; i < 4; i++) expect(await served(`http://${id}.test/`)).toMatchObject({ origin: "a" });
  });

  it("says when the fallback pool serves by the panic rule, every origin of it unhealthy", async () => {
    const id = `xp-${unique()}`;
    const failing = { path: "/503", intervalSeconds: 60, timeoutMs: 1000, unhealthyThreshold: 1 };
    const pools = installPools(
      [
        { id: `${id}-p`, origins: [{ name: "p", address: `${ORIGIN}/status` }], healthCheck: failing },
        { id: `${id}-f`, origins: [{ name: "f", address: `${ORIGIN}/status` }], healthCheck: failing },
      ],
      [
        {
          id,
          hostname: `${id}.test`,
          pools: [`${id}-p`],
          fallbackPool: `${id}-f`,
          retries: { attempts: 0 },
          debugHeaders: true,
        },
      ],
    );
    for (const pool of pools) {
      const stub = await configurePoolState(pool);
      configured.push(stub);
      await runDurableObjectAlarm(stub);
    }
    const explained = await explain(`http://${id}.test/200`);
    expect(explained.outcome).toBe("proxied");
    expect(explained.pools).toMatchObject([
      { id: `${id}-p`, verdict: "skipped", healthy: false },
      { id: `${id}-f`, verdict: "chosen" },
    ]);
    expect(explained.pool).toMatchObject({ id: `${id}-f`, via: "fallback" });
    expect(explained.pool?.reason).toContain("none of its origins is usable either");
    expect(explained.pool?.reason).toContain("(panic)");
    expect(await served(`http://${id}.test/200`)).toEqual({ status: 200, pool: `${id}-f`, origin: "f" });
  });

  it("says when a drain session sends a pinned key to its drained origin, and so does the proxy", async () => {
    const id = `xd-${unique()}`;
    const [pool] = installPools(
      [
        {
          id,
          origins: [
            { name: "a", address: ORIGIN, weight: 0 },
            { name: "b", address: ORIGIN },
          ],
        },
      ],
      [
        {
          id,
          hostname: `${id}.test`,
          pools: [id],
          sessionAffinity: { type: "header", headerName: "x-user", drainSeconds: 300 },
          debugHeaders: true,
        },
      ],
    );
    const stub = env.POOL_STATE.getByName(id);
    configured.push(stub);
    // Drained through the API: the PoolState remembers the weight before and when the drain began.
    await stub.rememberDrainedWeight("a", 1);
    await configurePoolState(pool!);
    const before = createHashBalancer([
      { name: "a", weight: 1 },
      { name: "b", weight: 1 },
    ]);
    const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    const atA = keys.find((key) => before.home(key) === "a")!;
    const atB = keys.find((key) => before.home(key) === "b")!;
    const pinned = await explain(`http://${id}.test/`, { headers: { "x-user": atA } });
    expect(pinned.affinity).toMatchObject({ outcome: "draining", home: "a" });
    expect(pinned.origin?.name).toBe("a");
    expect(pinned.origin?.reason).toContain("drain session");
    expect(await served(`http://${id}.test/`, { "x-user": atA })).toMatchObject({ origin: "a" });
    const other = await explain(`http://${id}.test/`, { headers: { "x-user": atB } });
    expect(other.origin?.name).toBe("b");
    expect(other.origin?.reason).not.toContain("drain session");
    expect(await served(`http://${id}.test/`, { "x-user": atB })).toMatchObject({ origin: "b" });
  });
});
