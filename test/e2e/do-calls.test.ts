/**
 * Durable Object calls of one isolate of the real runtime at low request rates, counted by the
 * isolate itself (`isolate: { doCalls, proxiedRequests }` of `GET /__lb/healthz`), against real
 * origins and a healthy pool: at 2 requests per second on a round_robin pool and at 10 on a
 * least_connections pool, at most 5 calls per 100 requests (docs/scale.md, "How many DO calls a
 * request costs"). The calls are counted, not timed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolOf, servePool } from "../helpers/admin-client.ts";
import { send } from "../helpers/http.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import { throughLb } from "../helpers/through-lb.ts";

let lb: TestLoadBalancer;

beforeAll(async () => {
  lb = await startLoadBalancer({ origins: ["a", "b", "c"] });
  await servePool(lb.api, "rr.test", poolOf("calls-rr", lb.origins));
  await servePool(lb.api, "lc.test", poolOf("calls-lc", lb.origins, { algorithm: "least_connections" }));
  // Warm: configuration and both pools' snapshots in place before anything is counted.
  for (const host of ["rr.test", "lc.test"]) await throughLb(lb.url, host);
}, 120_000);

afterAll(async () => {
  await lb?.stop();
});

async function counters(): Promise<{ doCalls: number; proxiedRequests: number }> {
  const res = await send(lb.url, { path: "/__lb/healthz" });
  expect(res.status).toBe(200);
  return res.json<{ isolate: { doCalls: number; proxiedRequests: number } }>().isolate;
}

/**
 * Sends `count` requests to `host` at `rate` per second (each starts on its own schedule, whether
 * the previous one ended or not) and returns the isolate's calls and proxied requests meanwhile.
 */
async function paced(host: string, rate: number, count: number): Promise<{ calls: number; proxied: number }> {
  const before = await counters();
  const started = Date.now();
  const requests: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const wait = started + (i * 1000) / rate - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    requests.push(throughLb(lb.url, host, { path: `/paced/${i}` }));
  }
  await Promise.all(requests);
  const after = await counters();
  return { calls: after.doCalls - before.doCalls, proxied: after.proxiedRequests - before.proxiedRequests };
}

describe("Durable Object calls of one isolate at low rates", () => {
  it("stay at or under 5 per 100 requests at 2 requests per second on a round_robin pool", async () => {
    const { calls, proxied } = await paced("rr.test", 2, 100);
    expect(proxied).toBe(100);
    expect(calls).toBeLessThanOrEqual(5);
  }, 120_000);

  it("stay at or under 5 per 100 requests at 10 requests per second on a least_connections pool", async () => {
    const { calls, proxied } = await paced("lc.test", 10, 200);
    expect(proxied).toBe(200);
    expect(calls).toBeLessThanOrEqual(10);
  }, 60_000);
});
