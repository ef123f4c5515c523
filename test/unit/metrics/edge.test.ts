import { describe, expect, it } from "vitest";
import { type LoadBalancer, LoadBalancerSchema } from "../../../worker/config/schema.ts";
import {
  hasMetricsDelta,
  recordAttempt,
  recordRequest,
  recordRuleResponse,
  restoreMetricsDelta,
  servedByFailover,
  takeMetricsDelta,
} from "../../../worker/edge/metrics.ts";
import type { AttemptOutcome } from "../../../worker/edge/outcomes.ts";
import { SeriesSet } from "../../../worker/metrics/series.ts";
import type { PoolChoice } from "../../../worker/routing/choose-pool.ts";
import { compileRules } from "../../../worker/routing/rules.ts";

let unique = 0;

function loadBalancer(pools: string[]): LoadBalancer {
  const parsed = LoadBalancerSchema.parse({ id: `lb-${unique++}`, hostname: "www.example.com", pools });
  return { ...parsed, version: 1 } as LoadBalancer;
}

function choice(
  pool: string | null,
  via: PoolChoice["via"],
  considered: [string, "chosen" | "skipped"][],
): PoolChoice {
  return {
    pool: pool ? ({ id: pool } as PoolChoice["pool"]) : null,
    via,
    steering: "",
    considered: considered.map(([id, verdict]) => ({ pool: id, verdict, reason: "" })),
  };
}

const ok = (latencyMs: number): AttemptOutcome => ({ status: 200, error: null, latencyMs });
const status = (code: number): AttemptOutcome => ({ status: code, error: null, latencyMs: 5 });
const timeout: AttemptOutcome = { status: null, error: "timeout", latencyMs: 1000 };

/** The pool's delta as a set, so tests read single series. */
function take(pool: string): SeriesSet {
  const set = new SeriesSet();
  const delta = takeMetricsDelta(pool);
  if (delta) set.merge(delta);
  return set;
}

describe("edge metrics", () => {
  it("counts attempts by outcome, errors by kind, retries and response times", () => {
    const pool = `pool-${unique++}`;
    const labels = { load_balancer: "www", pool, origin: "a" };
    recordAttempt({ loadBalancer: "www", pool, origin: "a", outcome: status(503), attempt: 1 });
    recordAttempt({ loadBalancer: "www", pool, origin: "b", outcome: timeout, attempt: 2 });
    recordAttempt({ loadBalancer: "www", pool, origin: "a", outcome: ok(30), attempt: 1 });

    const set = take(pool);
    expect(set.counter("edge_lb_attempts_total", { ...labels, outcome: "5xx" })).toBe(1);
    expect(set.counter("edge_lb_attempts_total", { ...labels, outcome: "2xx" })).toBe(1);
    expect(set.counter("edge_lb_attempts_total", { ...labels, origin: "b", outcome: "timeout" })).toBe(1);
    expect(set.counter("edge_lb_errors_total", { ...labels, kind: "5xx" })).toBe(1);
    expect(set.counter("edge_lb_errors_total", { ...labels, origin: "b", kind: "timeout" })).toBe(1);
    expect(set.counter("edge_lb_retries_total", { ...labels, origin: "b" })).toBe(1);
    expect(set.counter("edge_lb_retries_total", labels)).toBeUndefined();
    expect(set.histogram("edge_lb_origin_response_seconds", labels)).toMatchObject({ count: 2, sum: 35 });
  });

  it("counts a request under the pool and origin of its last attempt and the status class the client got", () => {
    const lb = loadBalancer(["p1", "p2"]);
    const pool = `pool-${unique++}`;
    const carrier = recordRequest({
      loadBalancer: lb,
      choice: choice(pool, "steering", [[pool, "chosen"]]),
      pinnedPool: null,
      served: { pool, origin: "a" },
      status: 404,
      durationMs: 12,
    });
    expect(carrier).toBe(pool);
    const set = take(pool);
    const labels = { load_balancer: lb.id, pool };
    expect(set.counter("edge_lb_requests_total", { ...labels, origin: "a", status_class: "4xx" })).toBe(1);
    expect(set.histogram("edge_lb_request_duration_seconds", labels)).toMatchObject({ count: 1, sum: 12 });
    expect(set.counter("edge_lb_failover_requests_total", labels)).toBeUndefined();
  });

  it("counts a request no origin could take on the load balancer, carried by its first pool", () => {
    const first = `pool-${unique++}`;
    const lb = loadBalancer([first]);
    const carrier = recordRequest({
      loadBalancer: lb,
      choice: choice(null, "none", [[first, "skipped"]]),
      pinnedPool: null,
      served: null,
      status: 503,
      durationMs: 1,
    });
    expect(carrier).toBe(first);
    expect(take(first).counter("edge_lb_unserved_requests_total", { load_balancer: lb.id })).toBe(1);
  });

  it("hands a pool's delta out once and takes back the delta of a report that failed", () => {
    const pool = `pool-${unique++}`;
    recordAttempt({ loadBalancer: "www", pool, origin: "a", outcome: ok(1), attempt: 1 });
    expect(hasMetricsDelta(pool)).toBe(true);
    const delta = takeMetricsDelta(pool);
    expect(hasMetricsDelta(pool)).toBe(false);
    expect(takeMetricsDelta(pool)).toBeNull();

    recordAttempt({ loadBalancer: "www", pool, origin: "a", outcome: ok(1), attempt: 1 });
    restoreMetricsDelta(pool, delta);
    const labels = { load_balancer: "www", pool, origin: "a", outcome: "2xx" };
    expect(take(pool).counter("edge_lb_attempts_total", labels)).toBe(2);
  });
});

describe("what counts as a failover", () => {
  it("is a pool skipped before the serving one, the fallback pool, or a retry into another pool", () => {
    expect(servedByFailover(choice("p1", "steering", [["p1", "chosen"]]), null, "p1")).toBe(false);
    expect(
      servedByFailover(
        choice("p2", "steering", [
          ["p1", "skipped"],
          ["p2", "chosen"],
        ]),
        null,
        "p2",
      ),
    ).toBe(true);
    expect(
      servedByFailover(
        choice("fb", "fallback", [
          ["p1", "skipped"],
          ["fb", "chosen"],
        ]),
        null,
        "fb",
      ),
    ).toBe(true);
    expect(servedByFailover(choice("p1", "steering", [["p1", "chosen"]]), null, "p2")).toBe(true);
  });

  it("is not a pin that could not be honoured, nor a request its pin kept on its pool", () => {
    expect(servedByFailover(choice("p1", "affinity", [["p1", "chosen"]]), "p1", "p1")).toBe(false);
    expect(
      servedByFailover(
        choice("p1", "steering", [
          ["p1", "skipped"],
          ["p1", "chosen"],
        ]),
        "p1",
        "p1",
      ),
    ).toBe(false);
    expect(
      servedByFailover(
        choice("p2", "steering", [
          ["p1", "skipped"],
          ["p1", "skipped"],
          ["p2", "chosen"],
        ]),
        "p1",
        "p2",
      ),
    ).toBe(true);
  });

  it("counts a rule's answers under the load balancer's first pool, labelled from the configuration only", () => {
    const [first, second] = [`pool-${unique++}`, `pool-${unique++}`];
    const lb = {
      ...loadBalancer([first, second]),
      rules: [
        { name: "canary", when: {}, then: { pools: [second] } },
        {
          name: "down",
          when: {},
          then: { respond: { status: 503, body: "", contentType: "text/plain", headers: {} } },
        },
        { name: "moved", when: {}, then: { redirect: { location: "/new", status: 308, keepPath: true } } },
      ],
    } as LoadBalancer;
    const [canary, down, moved] = compileRules(lb);

    expect(recordRuleResponse(lb, down!)).toBe(first);
    expect(recordRuleResponse(lb, down!)).toBe(first);
    expect(recordRuleResponse(lb, moved!)).toBe(first);
    // A rule that sends to pools answers nothing itself: its requests count where an origin serves them.
    expect(recordRuleResponse(lb, canary!)).toBeNull();

    const set = take(first);
    const labels = { load_balancer: lb.id };
    expect(
      set.counter("edge_lb_rule_responses_total", {
        ...labels,
        rule: "down",
        action: "respond",
        status_class: "5xx",
      }),
    ).toBe(2);
    expect(
      set.counter("edge_lb_rule_responses_total", {
        ...labels,
        rule: "moved",
        action: "redirect",
        status_class: "3xx",
      }),
    ).toBe(1);
    expect(set.size).toBe(2);
    expect(hasMetricsDelta(second)).toBe(false);
  });
});
