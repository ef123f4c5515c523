/**
 * `GET /__lb/metrics` inside workerd: who may read it, what a PoolState contributes after edge
 * reports, and that a PoolState that fails costs its series, not the scrape.
 */
import { env, evictDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { PoolState } from "../../../durable-objects/pool-state/index.ts";
import type { Env } from "../../../worker/env.ts";
import type { HealthReport } from "../../../worker/health/types.ts";
import { SeriesSet } from "../../../worker/metrics/series.ts";
import { parseExposition, sampleValue } from "../../helpers/prometheus.ts";
import { makePool, ORIGIN } from "../durable-objects/pool-state/fixtures.ts";
import { installConfig } from "../proxy/support.ts";
import { ADMIN_TOKEN, call, READ_TOKEN } from "./support.ts";

const used: DurableObjectStub<PoolState>[] = [];

afterEach(async () => {
  for (const stub of used.splice(0)) await stub.configure(null);
});

let counter = 0;

/** A pool with origins a and b, known to its PoolState and to this isolate's configuration. */
async function setUpPool(): Promise<{ id: string; lb: string; stub: DurableObjectStub<PoolState> }> {
  const id = `metrics-${Date.now().toString(36)}-${counter++}`;
  const lb = `lb-${id}`;
  const origins = [
    { name: "a", address: ORIGIN },
    { name: "b", address: `${ORIGIN}/b` },
  ];
  installConfig([{ id, origins }], [{ id: lb, hostname: `${lb}.test`, pools: [id] }]);
  const stub = env.POOL_STATE.getByName(id);
  used.push(stub);
  await stub.configure(makePool(id, { origins }));
  return { id, lb, stub };
}

function report(isolateId: string): HealthReport {
  return { isolateId, sentAt: Date.now(), origins: {} };
}

async function scrape(token: string = READ_TOKEN, bindings?: Env) {
  const response = await call("GET", "/__lb/metrics", { token, ...(bindings ? { env: bindings } : {}) });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

describe("GET /__lb/metrics access", () => {
  it("answers 401 with a Bearer challenge without a token or with a wrong one", async () => {
    for (const token of [null, "wrong-token"]) {
      const response = await call("GET", "/__lb/metrics", { token });
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    }
  });

  it("answers the read token and the admin token in the Prometheus text format", async () => {
    for (const token of [READ_TOKEN, ADMIN_TOKEN]) {
      const response = await call("GET", "/__lb/metrics", { token });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(await response.text()).toMatch(/^# (HELP|TYPE) /m);
      const families = await scrape(token);
      expect(sampleValue(families, "edge_lb_scrape_errors")).toBe(0);
      expect(sampleValue(families, "edge_lb_pools")).toBeGreaterThanOrEqual(0);
    }
  });

  it("answers 405 with Allow for a write method", async () => {
    const response = await call("POST", "/__lb/metrics", { token: ADMIN_TOKEN });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toContain("GET");
  });
});

describe("pool series from PoolState", () => {
  it("adds up the deltas of every report and shows the pool's gauges", async () => {
    const { id, lb, stub } = await setUpPool();
    const labels = { load_balancer: lb, pool: id, origin: "a" };
    const first = new SeriesSet();
    first.add("edge_lb_requests_total", { ...labels, status_class: "2xx" }, 3);
    first.observe("edge_lb_origin_response_seconds", labels, 20);
    const second = new SeriesSet();
    second.add("edge_lb_requests_total", { ...labels, status_class: "2xx" }, 4);
    second.add("edge_lb_requests_total", { ...labels, origin: "b", status_class: "5xx" }, 2);
    second.observe("edge_lb_origin_response_seconds", labels, 2000);

    await stub.report(report("iso-1"), first.toDelta());
    await stub.report(report("iso-2"), second.toDelta());
    const families = await scrape();

    const requests = (origin: string, status_class: string) =>
      sampleValue(families, "edge_lb_requests_total", { pool: id, origin, status_class });
    expect(requests("a", "2xx")).toBe(7);
    expect(requests("b", "5xx")).toBe(2);
    expect(sampleValue(families, "edge_lb_origin_response_seconds_count", labels)).toBe(2);
    expect(sampleValue(families, "edge_lb_origin_response_seconds_bucket", { ...labels, le: "0.025" })).toBe(
      1,
    );
    expect(sampleValue(families, "edge_lb_origin_healthy", { pool: id, origin: "b" })).toBe(1);
    expect(sampleValue(families, "edge_lb_origin_state", { pool: id, origin: "a", state: "healthy" })).toBe(
      1,
    );
    expect(sampleValue(families, "edge_lb_origin_state", { pool: id, origin: "a", state: "ejected" })).toBe(
      0,
    );
    expect(sampleValue(families, "edge_lb_pool_healthy", { pool: id })).toBe(1);
  });

  it("ignores series of another pool, pool-kept series and unknown names in a delta", async () => {
    const { id, lb, stub } = await setUpPool();
    await stub.report(report("iso-1"), {
      counters: [
        {
          name: "edge_lb_retries_total",
          labels: { load_balancer: lb, pool: "other", origin: "a" },
          value: 5,
        },
        { name: "edge_lb_origin_ejections_total", labels: { pool: id, origin: "a" }, value: 5 },
        { name: "made_up_total", labels: {}, value: 5 },
      ],
      histograms: [],
    });
    const families = await scrape();
    expect(sampleValue(families, "edge_lb_retries_total", { pool: "other" })).toBeUndefined();
    expect(
      sampleValue(families, "edge_lb_origin_ejections_total", { pool: id, origin: "a" }),
    ).toBeUndefined();
    expect(families.has("made_up_total")).toBe(false);
  });

  it("counts the pool's ejections from the reports that caused them", async () => {
    const { id, stub } = await setUpPool();
    const failing = { inflight: 0, requests: 5, failures: 5, consecutiveFailures: 5 };
    await stub.report({ isolateId: "iso-1", sentAt: Date.now(), origins: { a: failing } });
    const families = await scrape();
    expect(sampleValue(families, "edge_lb_origin_ejections_total", { pool: id, origin: "a" })).toBe(1);
    expect(sampleValue(families, "edge_lb_origin_state", { pool: id, origin: "a", state: "ejected" })).toBe(
      1,
    );
  });

  it("keeps the totals when the PoolState is evicted and loaded again", async () => {
    const { id, lb, stub } = await setUpPool();
    const labels = { load_balancer: lb, pool: id, origin: "a" };
    const delta = new SeriesSet();
    delta.add("edge_lb_retries_total", labels, 2);
    await stub.report(report("iso-1"), delta.toDelta());
    await evictDurableObject(stub);
    await stub.report(report("iso-1"), delta.toDelta());
    expect(sampleValue(await scrape(), "edge_lb_retries_total", labels)).toBe(4);
  });
});

describe("a PoolState that fails", () => {
  it("is left out and counted in edge_lb_scrape_errors; the scrape still answers 200", async () => {
    await setUpPool();
    const failing = {
      getByName: () => ({ metrics: () => Promise.reject(new Error("PoolState unavailable")) }),
    } as unknown as Env["POOL_STATE"];
    const families = await scrape(READ_TOKEN, { ...env, POOL_STATE: failing });
    expect(sampleValue(families, "edge_lb_scrape_errors")).toBe(sampleValue(families, "edge_lb_pools"));
    expect(sampleValue(families, "edge_lb_scrape_errors")).toBeGreaterThan(0);
  });
});
