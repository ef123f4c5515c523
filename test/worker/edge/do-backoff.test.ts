/**
 * A Durable Object that fails or stalls: every request is still served from what the isolate holds
 * (fail static), and the calls to the failing object stay bounded by the backoff (250 ms doubling),
 * not by the traffic. Counted calls, no timing assertion.
 */
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../../worker/env.ts";
import app from "../../../worker/index.ts";
import { ORIGIN, send } from "../proxy/support.ts";
import { installPools } from "./support.ts";

/** A PoolState namespace whose every call fails after counting it. */
function failing(): { namespace: Env["POOL_STATE"]; calls: () => number } {
  let calls = 0;
  const fail = () => {
    calls++;
    return Promise.reject(new Error("PoolState unreachable"));
  };
  const namespace = {
    getByName: () => ({ snapshot: fail, report: fail }),
  } as unknown as Env["POOL_STATE"];
  return { namespace, calls: () => calls };
}

/** A PoolState namespace whose calls do not answer until the test ends, counted. */
function stalled(): { namespace: Env["POOL_STATE"]; calls: () => number; end: () => void } {
  let calls = 0;
  let end: () => void = () => undefined;
  const gate = new Promise<null>((resolve) => {
    end = () => resolve(null);
  });
  const hang = () => {
    calls++;
    return gate;
  };
  const namespace = {
    getByName: () => ({ snapshot: hang, report: hang }),
  } as unknown as Env["POOL_STATE"];
  return { namespace, calls: () => calls, end };
}

describe("a failing or stalled PoolState", () => {
  it("costs a bounded number of calls, not one per request, and every request is served", async () => {
    installPools(
      [{ id: "bo-fail", origins: [{ name: "a", address: ORIGIN }] }],
      [{ id: "bo-fail", hostname: "bo-fail.test", pools: ["bo-fail"] }],
    );
    const { namespace, calls } = failing();
    const bindings: Env = { ...env, POOL_STATE: namespace, LOCATION_CACHE: "off" };
    const statuses: number[] = [];
    for (let i = 0; i < 150; i++) {
      const response = await send("http://bo-fail.test/", {}, bindings);
      statuses.push(response.status);
      await response.body?.cancel();
    }
    expect(statuses.every((status) => status === 200)).toBe(true);
    // Backoff 250 ms doubling per failure: a handful of calls however many requests pass by.
    expect(calls()).toBeGreaterThanOrEqual(1);
    expect(calls()).toBeLessThanOrEqual(8);
  });

  it("holds one call at a time while it stalls, and serves every request meanwhile", async () => {
    installPools(
      [{ id: "bo-stall", origins: [{ name: "a", address: ORIGIN }] }],
      [{ id: "bo-stall", hostname: "bo-stall.test", pools: ["bo-stall"] }],
    );
    const { namespace, calls, end } = stalled();
    const bindings: Env = { ...env, POOL_STATE: namespace, LOCATION_CACHE: "off" };
    try {
      // The background work of each request waits for the stalled object: not awaited here.
      for (let i = 0; i < 100; i++) {
        const response = await app.request("http://bo-stall.test/", {}, bindings, createExecutionContext());
        expect(response.status).toBe(200);
        await response.body?.cancel();
      }
      expect(calls()).toBe(1);
    } finally {
      end();
    }
  });
});
