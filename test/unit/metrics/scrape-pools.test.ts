/**
 * How one scrape combines the series of several pools: a series counted per load balancer (a rule's
 * answers, unserved requests) can be stored by more than one pool after the load balancer's first
 * pool changed, and must be shown once, added up; series that name their pool stay apart.
 */
import { describe, expect, it } from "vitest";
import { METRICS } from "../../../worker/metrics/catalog.ts";
import { emptyHistogram, LATENCY_BUCKETS_MS, observe } from "../../../worker/metrics/histogram.ts";
import { type ScrapeInput, scrapeExposition } from "../../../worker/metrics/scrape.ts";
import type { PoolMetrics } from "../../../worker/metrics/series.ts";
import { parseExposition, samplesOf, sampleValue } from "../../helpers/prometheus.ts";

function histogramOf(...valuesMs: number[]) {
  const histogram = emptyHistogram();
  for (const value of valuesMs) observe(histogram, value);
  return histogram;
}

const RULE = { load_balancer: "www", rule: "maint", action: "respond", status_class: "5xx" };
const UNSERVED = { load_balancer: "www" };
/** Labels of one histogram series that both pools hold (not a case the edge produces today). */
const SHARED = { load_balancer: "www", pool: "shared" };

/** What the PoolState of `pool` hands the scrape, with `rule` answers and `unserved` requests. */
function poolMetrics(pool: string, rule: number, unserved: number, durationsMs: number[]): PoolMetrics {
  return {
    counters: [
      { name: "edge_lb_rule_responses_total", labels: RULE, value: rule },
      { name: "edge_lb_unserved_requests_total", labels: UNSERVED, value: unserved },
      { name: "edge_lb_retries_total", labels: { load_balancer: "www", pool, origin: "a" }, value: 1 },
    ],
    histograms: [
      { name: "edge_lb_request_duration_seconds", labels: SHARED, histogram: histogramOf(...durationsMs) },
      {
        name: "edge_lb_request_duration_seconds",
        labels: { load_balancer: "www", pool },
        histogram: histogramOf(...durationsMs),
      },
    ],
    gauges: [
      { name: "edge_lb_pool_healthy", labels: { pool }, value: pool === "old" ? 0 : 1 },
      { name: "edge_lb_metric_series", labels: { pool }, value: 4 },
    ],
  };
}

function scrape(poolMetricsList: PoolMetrics[]): string {
  const input: ScrapeInput = {
    configVersion: 3,
    loadBalancers: ["www"],
    rules: new Map([["www", new Set(["maint"])]]),
    pools: poolMetricsList.length,
    poolMetrics: poolMetricsList,
    scrapeErrors: 0,
    doCalls: {},
    proxiedRequests: 0,
  };
  return scrapeExposition(input);
}

describe("a scrape of several pools", () => {
  const old = poolMetrics("old", 3, 2, [3, 40, 700]);
  const current = poolMetrics("new", 2, 5, [8, 40, 20_000]);

  it("shows a counter both pools hold once, with the sum of both", () => {
    const text = scrape([old, current]);
    const families = parseExposition(text);
    expect(samplesOf(families, "edge_lb_rule_responses_total")).toEqual([
      { name: "edge_lb_rule_responses_total", labels: RULE, value: 5 },
    ]);
    expect(samplesOf(families, "edge_lb_unserved_requests_total")).toEqual([
      { name: "edge_lb_unserved_requests_total", labels: UNSERVED, value: 7 },
    ]);
    expect(text.split("\n").filter((line) => line.startsWith("edge_lb_rule_responses_total"))).toEqual([
      'edge_lb_rule_responses_total{load_balancer="www",rule="maint",action="respond",status_class="5xx"} 5',
    ]);
  });

  it("merges a histogram both pools hold bucket by bucket, with its sum and count", () => {
    const families = parseExposition(scrape([old, current]));
    const name = "edge_lb_request_duration_seconds";
    const bucket = (le: string) => sampleValue(families, `${name}_bucket`, { ...SHARED, le });
    // Observations 3, 8, 40, 40, 700 and 20,000 ms: cumulative per bound, all six under +Inf.
    const expected = LATENCY_BUCKETS_MS.map(
      (bound) => [3, 8, 40, 40, 700, 20_000].filter((ms) => ms <= bound).length,
    );
    expect(LATENCY_BUCKETS_MS.map((bound) => bucket(String(bound / 1000)))).toEqual(expected);
    expect(bucket("+Inf")).toBe(6);
    expect(sampleValue(families, `${name}_count`, SHARED)).toBe(6);
    expect(sampleValue(families, `${name}_sum`, SHARED)).toBeCloseTo(20.791, 9);
    expect(samplesOf(families, `${name}_count`, SHARED)).toHaveLength(1);
  });

  it("keeps the series that name their pool apart, gauges included", () => {
    const families = parseExposition(scrape([old, current]));
    expect(samplesOf(families, "edge_lb_retries_total").map((s) => s.labels.pool)).toEqual(["new", "old"]);
    expect(sampleValue(families, "edge_lb_request_duration_seconds_count", { pool: "old" })).toBe(3);
    expect(sampleValue(families, "edge_lb_request_duration_seconds_count", { pool: "new" })).toBe(3);
    expect(sampleValue(families, "edge_lb_pool_healthy", { pool: "old" })).toBe(0);
    expect(sampleValue(families, "edge_lb_pool_healthy", { pool: "new" })).toBe(1);
    expect(samplesOf(families, "edge_lb_metric_series")).toHaveLength(2);
  });

  it("reads the same whichever pool answered first", () => {
    expect(scrape([current, old])).toBe(scrape([old, current]));
  });
});

describe("the catalog", () => {
  it("gives every series a pool keeps of its own a pool label, so that two pools never show the same gauge", () => {
    // Gauges are not added up: a gauge two pools could both show would have to name its pool.
    for (const metric of METRICS.filter((m) => m.source !== "scrape" && m.type === "gauge")) {
      expect(metric.labels, metric.name).toContain("pool");
    }
    for (const metric of METRICS.filter((m) => m.source === "pool")) {
      expect(metric.labels, metric.name).toContain("pool");
    }
  });

  it("leaves without a pool label only counters, which a scrape adds up across pools", () => {
    const perLoadBalancer = METRICS.filter((m) => m.source === "edge" && !m.labels.includes("pool" as never));
    expect(perLoadBalancer.map((m) => m.name).sort()).toEqual([
      "edge_lb_rule_responses_total",
      "edge_lb_unserved_requests_total",
    ]);
    for (const metric of perLoadBalancer) expect(metric.type, metric.name).toBe("counter");
  });
});
