/**
 * Drain that keeps sessions when every origin of the pool is drained: the pool has no origin for
 * new clients, but a client pinned to a drained origin keeps reaching it for `drainSeconds`
 * (docs/health.md, "Drain that keeps sessions") instead of getting 503. Also: header affinity looks
 * keys up in the table of the weights before the drain, built once per pool version, not per request.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { PoolState } from "../../../durable-objects/pool-state/index.ts";
import { createHashBalancer } from "../../../worker/balancing/hash.ts";
import type { LoadBalancerInput } from "../../../worker/config/schema.ts";
import { poolBalancerStats } from "../../../worker/edge/pool-balancers.ts";
import { configurePoolState, installPools } from "../edge/support.ts";
import { ORIGIN, send } from "./support.ts";

const configured: DurableObjectStub<PoolState>[] = [];

afterEach(async () => {
  for (const stub of configured.splice(0)) await stub.configure(null);
});

type Affinity = NonNullable<LoadBalancerInput["sessionAffinity"]>;

/** Pool `id` with origins a and b of `weight`, behind load balancer `id` with `affinity`. */
async function install(id: string, affinity: Affinity, weight: number) {
  const [pool] = installPools(
    [
      {
        id,
        origins: [
          { name: "a", address: ORIGIN, weight },
          { name: "b", address: ORIGIN, weight },
        ],
      },
    ],
    [{ id, hostname: `${id}.test`, pools: [id], sessionAffinity: affinity, debugHeaders: true }],
  );
  const stub = await configurePoolState(pool!);
  configured.push(stub);
  return stub;
}

/** Drains both origins through the PoolState (weights remembered, drain begun) and the configuration. */
async function drainAll(id: string, affinity: Affinity): Promise<void> {
  const stub = env.POOL_STATE.getByName(id);
  await stub.rememberDrainedWeight("a", 1);
  await stub.rememberDrainedWeight("b", 1);
  await install(id, affinity, 0);
}

async function answer(url: string, headers: Record<string, string> = {}) {
  const response = await send(url, { headers });
  await response.arrayBuffer();
  return {
    status: response.status,
    origin: response.headers.get("x-lb-origin"),
    setCookie: response.headers.get("set-cookie"),
  };
}

describe("every origin of the pool drained", () => {
  it("cookie affinity: a pinned client keeps its origin, a new client gets 503", async () => {
    const id = `drain-all-ck-${Date.now().toString(36)}`;
    const affinity: Affinity = { type: "cookie", drainSeconds: 300 };
    await install(id, affinity, 1);
    const first = await answer(`http://${id}.test/`);
    expect(first.status).toBe(200);
    const cookie = first.setCookie!.split(";")[0]!;
    await drainAll(id, affinity);
    for (let i = 0; i < 4; i++) {
      const pinned = await answer(`http://${id}.test/`, { cookie });
      expect(pinned).toEqual({ status: 200, origin: first.origin, setCookie: null });
    }
    expect((await answer(`http://${id}.test/`)).status).toBe(503);
  });

  it("header affinity: each key keeps its home before the drain, from a table built once", async () => {
    const id = `drain-all-hd-${Date.now().toString(36)}`;
    const affinity: Affinity = { type: "header", headerName: "x-user", drainSeconds: 300 };
    await install(id, affinity, 1);
    const before = createHashBalancer([
      { name: "a", weight: 1 },
      { name: "b", weight: 1 },
    ]);
    const keys = Array.from({ length: 12 }, (_, i) => `user-${i}`);
    await drainAll(id, affinity);
    const tablesBefore = poolBalancerStats().hashTables;
    for (const key of keys) {
      expect(await answer(`http://${id}.test/`, { "x-user": key })).toMatchObject({
        status: 200,
        origin: before.home(key),
      });
    }
    const held = poolBalancerStats();
    // The pool's own table and the one of the weights before the drain; more requests add nothing.
    expect(held.hashTables - tablesBefore).toBe(2);
    for (const key of keys) await answer(`http://${id}.test/`, { "x-user": key });
    expect(poolBalancerStats()).toMatchObject({ hashTables: held.hashTables, bytes: held.bytes });
  });
});
