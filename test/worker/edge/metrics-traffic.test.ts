/**
 * Requests through the whole Worker reach `/__lb/metrics`: the proxy counts them, the pool's batched
 * report carries the counts to its PoolState (the test waits for the request's background work, which
 * includes that report), and the scrape shows them.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { PoolState } from "../../../durable-objects/pool-state/index.ts";
import { parseExposition, sampleValue, sumOf } from "../../helpers/prometheus.ts";
import { call, READ_TOKEN } from "../api/support.ts";
import { makePool } from "../durable-objects/pool-state/fixtures.ts";
import { installConfig, ORIGIN, REFUSING, send } from "../proxy/support.ts";

const used: DurableObjectStub<PoolState>[] = [];

afterEach(async () => {
  for (const stub of used.splice(0)) await stub.configure(null);
});

async function scrape() {
  const response = await call("GET", "/__lb/metrics", { token: READ_TOKEN });
  expect(response.status).toBe(200);
  return parseExposition(await response.text());
}

describe("metrics of proxied traffic", () => {
  it("counts requests by origin and status class, and the retries a refused origin caused", async () => {
    const pool = `traffic-${Date.now().toString(36)}`;
    const origins = [
      { name: "refusing", address: REFUSING },
      { name: "up", address: ORIGIN },
    ];
    installConfig(
      [{ id: pool, algorithm: "first", origins, passiveHealth: { enabled: false } }],
      [{ id: "traffic", hostname: "traffic.test", pools: [pool] }],
    );
    const stub = env.POOL_STATE.getByName(pool);
    used.push(stub);
    await stub.configure(makePool(pool, { algorithm: "first", origins, passiveHealth: { enabled: false } }));

    const statuses: number[] = [];
    for (const path of ["/", "/", "/status/404", "/", "/status/500"]) {
      statuses.push((await send(`http://traffic.test${path}`)).status);
    }
    expect(statuses).toEqual([200, 200, 404, 200, 500]);

    const families = await scrape();
    const labels = { load_balancer: "traffic", pool };
    const requests = (origin: string, status_class: string) =>
      sumOf(families, "edge_lb_requests_total", { ...labels, origin, status_class });
    expect(requests("up", "2xx")).toBe(3);
    expect(requests("up", "4xx")).toBe(1);
    expect(requests("up", "5xx")).toBe(1);
    expect(sumOf(families, "edge_lb_requests_total", { ...labels, origin: "refusing" })).toBe(0);
    expect(
      sampleValue(families, "edge_lb_attempts_total", { ...labels, origin: "refusing", outcome: "connect" }),
    ).toBe(5);
    expect(
      sampleValue(families, "edge_lb_errors_total", { ...labels, origin: "refusing", kind: "connect" }),
    ).toBe(5);
    expect(sampleValue(families, "edge_lb_retries_total", { ...labels, origin: "up" })).toBe(5);
    expect(sampleValue(families, "edge_lb_request_duration_seconds_count", labels)).toBe(5);
  });

  it("shows the last requests of a burst once a scrape passes through the isolate", async () => {
    const pool = `burst-${Date.now().toString(36)}`;
    const origins = [{ name: "up", address: ORIGIN }];
    installConfig([{ id: pool, origins }], [{ id: "burst", hostname: "burst.test", pools: [pool] }]);
    const stub = env.POOL_STATE.getByName(pool);
    used.push(stub);
    await stub.configure(makePool(pool, { origins }));
    for (let i = 0; i < 4; i++) expect((await send("http://burst.test/")).status).toBe(200);

    const labels = { load_balancer: "burst", pool, origin: "up", status_class: "2xx" };
    let seen: number | undefined;
    for (let scrapes = 0; scrapes < 50 && seen !== 4; scrapes++) {
      seen = sampleValue(await scrape(), "edge_lb_requests_total", labels);
      if (seen !== 4) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen).toBe(4);
  });

  it("counts the requests a respond or a redirect rule answered, and no others", async () => {
    const pool = `rules-${Date.now().toString(36)}`;
    const origins = [{ name: "up", address: ORIGIN }];
    installConfig(
      [{ id: pool, origins }],
      [
        {
          id: "rules-metrics",
          hostname: "rules-metrics.test",
          pools: [pool],
          rules: [
            { name: "beta", when: { "header.x-beta": "1" }, then: { pools: [pool] } },
            {
              name: "maintenance",
              when: { path: { regex: "^/maintenance" } },
              then: { respond: { status: 503, body: "back soon" } },
            },
            {
              name: "moved",
              when: { path: { regex: "^/old" } },
              then: { redirect: { location: "/new", status: 301 } },
            },
          ],
        },
      ],
    );
    const stub = env.POOL_STATE.getByName(pool);
    used.push(stub);
    await stub.configure(makePool(pool, { origins }));

    const statuses: number[] = [];
    for (const path of ["/maintenance", "/maintenance/x", "/old", "/maintenance?y=1", "/old/page"]) {
      statuses.push((await send(`http://rules-metrics.test${path}`)).status);
    }
    // Not answered by a rule: the origin serves them (one through the `pools` rule).
    statuses.push((await send("http://rules-metrics.test/", { headers: { "x-beta": "1" } })).status);
    statuses.push((await send("http://rules-metrics.test/other")).status);
    expect(statuses).toEqual([503, 503, 301, 503, 301, 200, 200]);

    const labels = { load_balancer: "rules-metrics", pool, origin: "up", status_class: "2xx" };
    let families = await scrape();
    for (
      let scrapes = 0;
      scrapes < 50 && sampleValue(families, "edge_lb_requests_total", labels) !== 2;
      scrapes++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      families = await scrape();
    }
    expect(sampleValue(families, "edge_lb_requests_total", labels)).toBe(2);
    const rule = { load_balancer: "rules-metrics" };
    expect(
      sampleValue(families, "edge_lb_rule_responses_total", {
        ...rule,
        rule: "maintenance",
        action: "respond",
        status_class: "5xx",
      }),
    ).toBe(3);
    expect(
      sampleValue(families, "edge_lb_rule_responses_total", {
        ...rule,
        rule: "moved",
        action: "redirect",
        status_class: "3xx",
      }),
    ).toBe(2);
    // The proxied requests added nothing: the family holds exactly the five rule answers.
    expect(sumOf(families, "edge_lb_rule_responses_total", rule)).toBe(5);
    expect(sumOf(families, "edge_lb_rule_responses_total", { ...rule, rule: "beta" })).toBe(0);
    expect(sumOf(families, "edge_lb_unserved_requests_total", rule)).toBe(0);
  });

  it("writes one Analytics Engine data point per request when the binding exists, and fails nothing when it throws", async () => {
    const pool = `analytics-${Date.now().toString(36)}`;
    installConfig(
      [{ id: pool, origins: [{ name: "up", address: ORIGIN }] }],
      [{ id: "analytics", hostname: "analytics.test", pools: [pool] }],
    );
    const points: AnalyticsEngineDataPoint[] = [];
    const recording = { writeDataPoint: (point?: AnalyticsEngineDataPoint) => void points.push(point ?? {}) };
    expect(
      (await send("http://analytics.test/status/404", {}, { ...env, ANALYTICS: recording })).status,
    ).toBe(404);
    expect((await send("http://analytics.test/", {}, { ...env, ANALYTICS: recording })).status).toBe(200);

    expect(points).toHaveLength(2);
    expect(points[0]).toMatchObject({
      indexes: ["analytics"],
      blobs: ["analytics", pool, "up", "4xx", "", ""],
    });
    expect(points[0]?.doubles?.[0]).toBe(404);
    expect(points[0]?.doubles?.[2]).toBe(1);
    expect(points[1]?.blobs?.[3]).toBe("2xx");

    const broken = {
      writeDataPoint: () => {
        throw new Error("dataset misconfigured");
      },
    };
    expect((await send("http://analytics.test/", {}, { ...env, ANALYTICS: broken })).status).toBe(200);
  });
});
