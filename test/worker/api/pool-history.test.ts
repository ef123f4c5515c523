/**
 * `GET /pools/{id}/history` inside workerd: the figures edges' reports carry land in the minute they
 * arrive, per origin and summed for the pool, with health events; bad windows are refused.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { PoolHistory } from "../../../durable-objects/pool-state/history.ts";
import { SeriesSet } from "../../../worker/metrics/series.ts";
import { API, call, createPool, errorPaths, expectProblem, json, READ_TOKEN } from "./support.ts";

let counter = 0;

describe("GET /pools/{id}/history", () => {
  it("shows each report's requests, failures, retries and latency in its minute, per origin and in total", async () => {
    const id = `hist-${counter++}`;
    await createPool(id);
    const stub = env.POOL_STATE.getByName(id);
    const labels = { load_balancer: "www", pool: id, origin: "a" };
    const delta = new SeriesSet();
    delta.add("edge_lb_requests_total", { ...labels, status_class: "2xx" }, 7);
    delta.add("edge_lb_requests_total", { ...labels, origin: "b", status_class: "5xx" }, 3);
    delta.add("edge_lb_errors_total", { ...labels, origin: "b", kind: "connect" }, 3);
    delta.add("edge_lb_retries_total", labels, 2);
    for (const ms of [3, 8, 8, 40, 40, 40, 40]) delta.observe("edge_lb_origin_response_seconds", labels, ms);
    const before = Date.now();
    // Until the PoolState heard of the pool, a report is not counted: wait for its configuration.
    await expect.poll(async () => (await stub.snapshot()) !== null).toBe(true);
    await stub.report({ isolateId: "iso-1", sentAt: Date.now(), origins: {} }, delta.toDelta());
    await stub.report({ isolateId: "iso-2", sentAt: Date.now(), origins: {} }, delta.toDelta());

    const response = await call("GET", `${API}/pools/${id}/history?window=1h`, { token: READ_TOKEN });
    expect(response.status).toBe(200);
    const history = await json<PoolHistory>(response);
    expect(history).toMatchObject({ pool: id, window: "1h", stepSeconds: 60 });
    const minutes = [0, 1].map((n) => new Date((Math.floor(before / 60_000) + n) * 60_000).toISOString());
    const a = history.origins.find((o) => o.name === "a")?.points.at(-1);
    const b = history.origins.find((o) => o.name === "b")?.points.at(-1);
    expect(minutes).toContain(a?.at);
    expect(a).toMatchObject({ requests: 14, retries: 4, p50Ms: 50, p95Ms: 50, state: expect.any(String) });
    expect(b).toMatchObject({ requests: 6, failures: { "5xx": 0, timeout: 0, connect: 6 }, p50Ms: null });
    expect(history.total.at(-1)).toMatchObject({ requests: 20, retries: 4 });
    expect(history.origins.map((o) => o.name)).toEqual(["a", "b"]);
  });

  it("answers empty series for a pool without reports and 24 h windows", async () => {
    const id = `hist-${counter++}`;
    await createPool(id);
    const history = await json<PoolHistory>(await call("GET", `${API}/pools/${id}/history?window=24h`));
    expect(history.window).toBe("24h");
    expect(history.total).toEqual([]);
    expect(Date.parse(history.to) - Date.parse(history.from)).toBeGreaterThan(23 * 3_600_000);
  });

  it("refuses an unknown window with 400 and an unknown pool with 404", async () => {
    const id = `hist-${counter++}`;
    await createPool(id);
    for (const window of ["2h", "x", "1H"]) {
      expect(await errorPaths(await call("GET", `${API}/pools/${id}/history?window=${window}`))).toEqual([
        "window",
      ]);
    }
    await expectProblem(await call("GET", `${API}/pools/nope/history`), 404);
  });
});
