/**
 * Metrics end to end: traffic through the real runtime to real origins, then `GET /__lb/metrics`
 * parsed strictly, its counters compared with what the origins actually received. Counts reach the
 * exposition through the edge's batched reports to PoolState, which requests passing through the
 * isolate send (the scrape included: the local runtime has one isolate), so the test polls
 * (bounded) until they have arrived. Every request is also logged (REQUEST_LOG_SAMPLE_RATE=1),
 * those a rule answers itself included.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PoolInput } from "../../worker/config/schema.ts";
import { poolOf, servePool } from "../helpers/admin-client.ts";
import { send } from "../helpers/http.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import type { OriginEcho, TestOrigin } from "../helpers/origins.ts";
import { type Exposition, parseExposition, sampleValue, sumOf } from "../helpers/prometheus.ts";
import { waitFor } from "../helpers/wait.ts";

let lb: TestLoadBalancer;
let good: TestOrigin[] = [];
let bad: TestOrigin;

/** Requests sent to the spread load balancer; every fourth asks its origin for a 404. */
const SPREAD_REQUESTS = 24;
const RETRY_REQUESTS = 6;
const CALM_REQUESTS = 10;
const UNSERVED_REQUESTS = 3;

beforeAll(async () => {
  lb = await startLoadBalancer({
    origins: ["ok-1", "ok-2", { name: "bad", knobs: { status: 503 } }],
    vars: { REQUEST_LOG_SAMPLE_RATE: "1" },
  });
  good = [lb.origin("ok-1"), lb.origin("ok-2")];
  bad = lb.origin("bad");
});

afterAll(async () => {
  await lb?.stop();
});

/** A pool without passive ejection, so a failing origin keeps its share and the counts stay exact. */
function steadyPool(
  id: string,
  origins: TestOrigin[],
  algorithm: PoolInput["algorithm"] = "round_robin",
): PoolInput {
  return { ...poolOf(id, origins, { algorithm }), passiveHealth: { enabled: false } };
}

async function scrape(token: string): Promise<Exposition> {
  const res = await send(lb.url, { path: "/__lb/metrics", headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`metrics answered ${res.status}: ${res.text().slice(0, 300)}`);
  expect(res.header("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(res.text());
}

/** Polls the metrics until `ready` holds for them, within a bounded wait. */
function metricsWhen(ready: (families: Exposition) => boolean, what: string): Promise<Exposition> {
  return waitFor(
    async () => {
      const families = await scrape(lb.readToken);
      return ready(families) && families;
    },
    { timeoutMs: 20_000, intervalMs: 250, what },
  );
}

/** The status class the client got for a request the origin received. */
function classOf(origin: TestOrigin, echo: OriginEcho): string {
  if (new URLSearchParams(echo.query).get("status") === "404") return "4xx";
  return origin === bad ? "5xx" : "2xx";
}

describe("GET /__lb/metrics", () => {
  it("needs a token: 401 without one", async () => {
    const res = await send(lb.url, { path: "/__lb/metrics" });
    expect(res.status).toBe(401);
    expect(res.header("www-authenticate")).toMatch(/^Bearer\b/);
  });

  it("counts every request by origin and status class, as the origins received them", async () => {
    const origins = [...good, bad];
    await servePool(lb.api, "spread.test", steadyPool("spread", origins), { retries: { attempts: 0 } });
    for (const origin of origins) origin.reset();

    const statuses: number[] = [];
    for (let i = 0; i < SPREAD_REQUESTS; i++) {
      const path = i % 4 === 3 ? `/r/${i}?status=404` : `/r/${i}`;
      statuses.push((await send(lb.url, { host: "spread.test", path })).status);
    }
    expect(statuses.filter((s) => s === 404)).toHaveLength(SPREAD_REQUESTS / 4);

    const lbLabels = { load_balancer: "spread", pool: "spread" };
    const families = await metricsWhen(
      (f) => sumOf(f, "edge_lb_requests_total", lbLabels) >= SPREAD_REQUESTS,
      "every spread request in the metrics",
    );

    expect(sumOf(families, "edge_lb_requests_total", lbLabels)).toBe(SPREAD_REQUESTS);
    for (const origin of origins) {
      const expected: Record<string, number> = {};
      for (const echo of origin.requests)
        expected[classOf(origin, echo)] = (expected[classOf(origin, echo)] ?? 0) + 1;
      for (const status_class of ["2xx", "4xx", "5xx"]) {
        const labels = { ...lbLabels, origin: origin.name, status_class };
        expect(sumOf(families, "edge_lb_requests_total", labels), `${origin.name} ${status_class}`).toBe(
          expected[status_class] ?? 0,
        );
        expect(
          sumOf(families, "edge_lb_attempts_total", {
            ...lbLabels,
            origin: origin.name,
            outcome: status_class,
          }),
        ).toBe(expected[status_class] ?? 0);
      }
      const originLabels = { ...lbLabels, origin: origin.name };
      expect(sampleValue(families, "edge_lb_origin_response_seconds_count", originLabels)).toBe(
        origin.count(),
      );
      expect(sumOf(families, "edge_lb_errors_total", originLabels)).toBe(
        origin === bad ? (expected["5xx"] ?? 0) : 0,
      );
    }
    expect(bad.count()).toBeGreaterThan(0);
    expect(sumOf(families, "edge_lb_retries_total", lbLabels)).toBe(0);
    expect(sampleValue(families, "edge_lb_request_duration_seconds_count", lbLabels)).toBe(SPREAD_REQUESTS);
    expect(
      sampleValue(families, "edge_lb_request_duration_seconds_bucket", { ...lbLabels, le: "+Inf" }),
    ).toBe(SPREAD_REQUESTS);
    expect(sampleValue(families, "edge_lb_origin_healthy", { pool: "spread", origin: "ok-1" })).toBe(1);
    expect(sampleValue(families, "edge_lb_pools")).toBeGreaterThanOrEqual(1);
    expect(sampleValue(families, "edge_lb_scrape_errors")).toBe(0);
  });

  it("counts retries, the errors that caused them and the requests they saved", async () => {
    const [ok] = good as [TestOrigin];
    await servePool(lb.api, "retry.test", steadyPool("retry", [bad, ok], "first"));
    bad.reset();
    ok.reset();

    for (let i = 0; i < RETRY_REQUESTS; i++) {
      expect((await send(lb.url, { host: "retry.test", path: `/again/${i}` })).status).toBe(200);
    }

    const labels = { load_balancer: "retry", pool: "retry" };
    const families = await metricsWhen(
      (f) => sumOf(f, "edge_lb_requests_total", labels) >= RETRY_REQUESTS,
      "every retried request in the metrics",
    );
    expect(bad.count()).toBe(RETRY_REQUESTS);
    expect(ok.count()).toBe(RETRY_REQUESTS);
    const bad5xx = { ...labels, origin: "bad" };
    const ok2xx = { ...labels, origin: "ok-1" };
    expect(sampleValue(families, "edge_lb_requests_total", { ...ok2xx, status_class: "2xx" })).toBe(
      RETRY_REQUESTS,
    );
    expect(sumOf(families, "edge_lb_requests_total", bad5xx)).toBe(0);
    expect(sampleValue(families, "edge_lb_attempts_total", { ...bad5xx, outcome: "5xx" })).toBe(
      RETRY_REQUESTS,
    );
    expect(sampleValue(families, "edge_lb_errors_total", { ...bad5xx, kind: "5xx" })).toBe(RETRY_REQUESTS);
    expect(sampleValue(families, "edge_lb_retries_total", ok2xx)).toBe(RETRY_REQUESTS);
    expect(sumOf(families, "edge_lb_retries_total", bad5xx)).toBe(0);
  });

  it("counts the whole of a burst of successful requests once scraped after traffic stops", async () => {
    await servePool(lb.api, "calm.test", steadyPool("calm", good));
    for (let i = 0; i < CALM_REQUESTS; i++) {
      expect((await send(lb.url, { host: "calm.test", path: `/calm/${i}` })).status).toBe(200);
    }

    const labels = { load_balancer: "calm", pool: "calm", status_class: "2xx" };
    const families = await metricsWhen(
      (f) => sumOf(f, "edge_lb_requests_total", labels) >= CALM_REQUESTS,
      "every request of the burst in the metrics",
    );
    expect(sumOf(families, "edge_lb_requests_total", labels)).toBe(CALM_REQUESTS);
  });

  it("counts requests no origin could take", async () => {
    const [ok] = good as [TestOrigin];
    const pool = steadyPool("closed", [ok]);
    await servePool(lb.api, "closed.test", {
      ...pool,
      origins: pool.origins.map((o) => ({ ...o, enabled: false })),
    });

    for (let i = 0; i < UNSERVED_REQUESTS; i++) {
      expect((await send(lb.url, { host: "closed.test", path: "/" })).status).toBe(503);
    }

    const families = await metricsWhen(
      (f) =>
        (sampleValue(f, "edge_lb_unserved_requests_total", { load_balancer: "closed" }) ?? 0) >=
        UNSERVED_REQUESTS,
      "the unserved requests in the metrics",
    );
    expect(sampleValue(families, "edge_lb_unserved_requests_total", { load_balancer: "closed" })).toBe(
      UNSERVED_REQUESTS,
    );
    expect(
      sampleValue(families, "edge_lb_origin_state", { pool: "closed", origin: "ok-1", state: "disabled" }),
    ).toBe(1);
  });

  it("logs one JSON line per request at sample rate 1", async () => {
    const lines = await waitFor(
      async () => {
        const found = requestLogLines(lb.output()).filter((line) => line.loadBalancer === "retry");
        return found.length >= RETRY_REQUESTS && found;
      },
      { what: "the access log lines of the retried requests" },
    );
    expect(lines).toHaveLength(RETRY_REQUESTS);
    for (const line of lines) {
      expect(line).toMatchObject({ pool: "retry", origin: "ok-1", status: 200, attempts: 2, method: "GET" });
      expect(typeof line.requestId).toBe("string");
      expect(Number.isNaN(Date.parse(String(line.at)))).toBe(false);
    }
  });

  it("logs a rule's own answer with the rule's name and the client's request id, as the metrics count it", async () => {
    const [ok] = good as [TestOrigin];
    await servePool(lb.api, "maint.test", steadyPool("maint", [ok]), {
      rules: [{ name: "maintenance", when: {}, then: { respond: { status: 503, body: "back soon" } } }],
    });
    ok.reset();
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await send(lb.url, { host: "maint.test", path: `/m/${i}` });
      expect(res.status).toBe(503);
      ids.push(res.header("x-request-id") ?? "");
    }
    expect(ok.requests).toHaveLength(0);

    const lines = await waitFor(
      async () => {
        const found = requestLogLines(lb.output()).filter((line) => line.loadBalancer === "maint");
        return found.length >= 2 && found;
      },
      { what: "the access log lines of the rule's answers" },
    );
    expect(lines.map((line) => line.requestId)).toEqual(ids);
    for (const line of lines) {
      expect(line).toMatchObject({ pool: null, origin: null, status: 503, attempts: 0, rule: "maintenance" });
    }
    const labels = { load_balancer: "maint", rule: "maintenance" };
    const families = await metricsWhen(
      (f) => sumOf(f, "edge_lb_rule_responses_total", labels) >= 2,
      "the rule's answers in the metrics",
    );
    expect(sumOf(families, "edge_lb_rule_responses_total", labels)).toBe(2);
  });
});

/** The access-log objects in what the runtime printed. */
function requestLogLines(output: string): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  for (const match of output.matchAll(/\{"event":"request".*\}/g)) {
    found.push(JSON.parse(match[0]) as Record<string, unknown>);
  }
  return found;
}
