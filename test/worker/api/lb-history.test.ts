/**
 * `GET /load_balancers/{id}/history` inside workerd: the pools' reported figures summed per minute,
 * the highest pool p95 as the load balancer's, the mirror pool left out; bad input refused.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { LoadBalancerHistory } from "../../../worker/metrics/lb-history.ts";
import { SeriesSet } from "../../../worker/metrics/series.ts";
import {
  API,
  call,
  createLoadBalancer,
  createPool,
  errorPaths,
  expectProblem,
  json,
  READ_TOKEN,
} from "./support.ts";

let counter = 0;

/** Sends pool `pool` one report: `requests` answered by origin a, each in `ms`. */
async function report(pool: string, requests: number, ms: number): Promise<void> {
  const stub = env.POOL_STATE.getByName(pool);
  await expect.poll(async () => (await stub.snapshot()) !== null).toBe(true);
  const delta = new SeriesSet();
  const labels = { load_balancer: "lb", pool, origin: "a" };
  delta.add("edge_lb_requests_total", { ...labels, status_class: "2xx" }, requests);
  for (let i = 0; i < requests; i++) delta.observe("edge_lb_origin_response_seconds", labels, ms);
  await stub.report({ isolateId: "iso-1", sentAt: Date.now(), origins: {} }, delta.toDelta());
}

describe("GET /load_balancers/{id}/history", () => {
  it("sums its pools' requests per minute and takes the highest pool p95, without the mirror pool", async () => {
    const n = counter++;
    const [web, spare, shadow] = [`lbh-web-${n}`, `lbh-spare-${n}`, `lbh-shadow-${n}`];
    for (const pool of [web, spare, shadow]) await createPool(pool);
    const id = `lbh-${n}`;
    await createLoadBalancer(id, [web], {
      fallbackPool: spare,
      mirror: { pool: shadow, percent: 10, methods: ["GET"] },
    });
    await report(web, 7, 20);
    await report(spare, 3, 400);
    await report(shadow, 50, 1);

    const response = await call("GET", `${API}/load_balancers/${id}/history`, { token: READ_TOKEN });
    expect(response.status).toBe(200);
    const history = await json<LoadBalancerHistory>(response);
    expect(history).toMatchObject({ loadBalancer: id, window: "1h", stepSeconds: 60, unavailablePools: [] });
    expect(history.pools.map((p) => p.id)).toEqual([web, spare]);
    const requests = history.total.reduce((sum, p) => sum + p.requests, 0);
    expect(requests).toBe(10);
    expect(history.total.at(-1)).toMatchObject({ p95Ms: 500, p95Pool: spare });
    const perPool = await json<{ total: { requests: number }[] }>(
      await call("GET", `${API}/pools/${web}/history`),
    );
    expect(perPool.total.reduce((sum, p) => sum + p.requests, 0)).toBe(7);
  });

  it("answers 24 h windows, refuses an unknown window with 400 and an unknown load balancer with 404", async () => {
    const n = counter++;
    await createPool(`lbh-only-${n}`);
    await createLoadBalancer(`lbh-${n}`, [`lbh-only-${n}`]);
    const day = await json<LoadBalancerHistory>(
      await call("GET", `${API}/load_balancers/lbh-${n}/history?window=24h`),
    );
    expect(day.window).toBe("24h");
    expect(day.total).toEqual([]);
    expect(Date.parse(day.to) - Date.parse(day.from)).toBeGreaterThan(23 * 3_600_000);
    for (const window of ["2h", "1H", "x"]) {
      expect(
        await errorPaths(await call("GET", `${API}/load_balancers/lbh-${n}/history?window=${window}`)),
      ).toEqual(["window"]);
    }
    await expectProblem(await call("GET", `${API}/load_balancers/nope/history`), 404);
    await expectProblem(await call("GET", `${API}/load_balancers/lbh-${n}/history`, { token: "wrong" }), 401);
  });
});
