import { createExecutionContext, env, runDurableObjectAlarm, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { PoolState } from "../../../durable-objects/pool-state/index.ts";
import type { Env } from "../../../worker/env.ts";
import app from "../../../worker/index.ts";
import { ORIGIN, send } from "../proxy/support.ts";
import { configurePoolState, installPools, sequence } from "./support.ts";

const configured: DurableObjectStub<PoolState>[] = [];

afterEach(async () => {
  for (const stub of configured.splice(0)) await stub.configure(null);
});

/** A PoolState namespace whose every call fails, like a DO that cannot be reached. */
const unreachable = {
  getByName: () => ({
    snapshot: () => Promise.reject(new Error("PoolState unreachable")),
    report: () => Promise.reject(new Error("PoolState unreachable")),
  }),
} as unknown as Env["POOL_STATE"];

/** A PoolState namespace that answers only when the test says so. */
function gated(): { namespace: Env["POOL_STATE"]; open: () => void } {
  let open: () => void = () => undefined;
  const gate = new Promise<null>((resolve) => {
    open = () => resolve(null);
  });
  const namespace = {
    getByName: () => ({ snapshot: () => gate, report: () => gate }),
  } as unknown as Env["POOL_STATE"];
  return { namespace, open };
}

const check = {
  path: "/503",
  intervalSeconds: 60,
  timeoutMs: 1000,
  healthyThreshold: 1,
  unhealthyThreshold: 1,
};

describe("fail static", () => {
  it("serves a cold pool whose PoolState cannot be reached", async () => {
    installPools(
      [{ id: "fs-cold", origins: [{ name: "a", address: ORIGIN }] }],
      [{ id: "fs-cold", hostname: "fs-cold.test", pools: ["fs-cold"] }],
    );
    const bindings = { ...env, POOL_STATE: unreachable };
    for (let i = 0; i < 3; i++) expect((await send("http://fs-cold.test/", {}, bindings)).status).toBe(200);
  });

  it("does not hold a cold pool's first request for a PoolState that does not answer", async () => {
    installPools(
      [{ id: "fs-silent", origins: [{ name: "a", address: ORIGIN }] }],
      [{ id: "fs-silent", hostname: "fs-silent.test", pools: ["fs-silent"] }],
    );
    const { namespace, open } = gated();
    const ctx = createExecutionContext();
    const response = await app.request("http://fs-silent.test/", {}, { ...env, POOL_STATE: namespace }, ctx);
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    open();
    await waitOnExecutionContext(ctx);
  });

  it("keeps routing on the last snapshot when the PoolState becomes unreachable", async () => {
    const [pool] = installPools(
      [
        {
          id: "fs-warm",
          origins: [
            { name: "a", address: `${ORIGIN}/status` },
            { name: "b", address: ORIGIN },
          ],
          healthCheck: check,
        },
      ],
      [
        {
          id: "fs-warm",
          hostname: "fs-warm.test",
          pools: ["fs-warm"],
          retries: { attempts: 0 },
          debugHeaders: true,
        },
      ],
    );
    const stub = await configurePoolState(pool!);
    configured.push(stub);
    await runDurableObjectAlarm(stub);
    await send("http://fs-warm.test/200");
    // Let the snapshot go stale, so every request below wants a refresh from an unreachable DO.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const bindings = { ...env, POOL_STATE: unreachable };
    const results = [];
    for (let i = 0; i < 6; i++) {
      const response = await send("http://fs-warm.test/200", {}, bindings);
      results.push({ status: response.status, origin: response.headers.get("x-lb-origin") });
    }
    expect(results).toEqual(Array.from({ length: 6 }, () => ({ status: 200, origin: "b" })));
  });

  it("never waits for the PoolState once the pool is warm", async () => {
    installPools(
      [{ id: "fs-hot", origins: [{ name: "a", address: ORIGIN }] }],
      [{ id: "fs-hot", hostname: "fs-hot.test", pools: ["fs-hot"] }],
    );
    await sequence("http://fs-hot.test/", 2);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const { namespace, open } = gated();
    const contexts = [];
    for (let i = 0; i < 5; i++) {
      const ctx = createExecutionContext();
      contexts.push(ctx);
      const response = await app.request("http://fs-hot.test/", {}, { ...env, POOL_STATE: namespace }, ctx);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    open();
    for (const ctx of contexts) await waitOnExecutionContext(ctx);
  });
});
