import { describe, expect, it } from "vitest";
import { METRICS } from "../../../worker/metrics/catalog.ts";
import {
  EXPOSITION_CONTENT_TYPE,
  formatValue,
  renderExposition,
} from "../../../worker/metrics/exposition.ts";
import { emptyHistogram, observe } from "../../../worker/metrics/histogram.ts";
import { scrapeExposition } from "../../../worker/metrics/scrape.ts";
import { parseExposition, samplesOf, sampleValue } from "../../helpers/prometheus.ts";

const A = { load_balancer: "www", pool: "web", origin: "a" };

function histogramOf(...values: number[]) {
  const histogram = emptyHistogram();
  for (const value of values) observe(histogram, value);
  return histogram;
}

describe("Prometheus exposition", () => {
  it("renders counters, gauges and histograms that a strict parser reads back exactly", () => {
    const text = renderExposition({
      counters: [{ name: "edge_lb_requests_total", labels: { ...A, status_class: "2xx" }, value: 7 }],
      gauges: [{ name: "edge_lb_pool_healthy", labels: { pool: "web" }, value: 1 }],
      histograms: [
        { name: "edge_lb_origin_response_seconds", labels: A, histogram: histogramOf(3, 40, 40, 900) },
      ],
    });
    const families = parseExposition(text);

    expect(families.get("edge_lb_requests_total")).toMatchObject({ type: "counter" });
    expect(families.get("edge_lb_pool_healthy")).toMatchObject({ type: "gauge" });
    expect(families.get("edge_lb_origin_response_seconds")).toMatchObject({ type: "histogram" });
    expect(families.get("edge_lb_requests_total")?.help).toMatch(/Requests answered/);
    expect(sampleValue(families, "edge_lb_requests_total", { origin: "a", status_class: "2xx" })).toBe(7);
    expect(sampleValue(families, "edge_lb_pool_healthy", { pool: "web" })).toBe(1);
    const bucket = (le: string) =>
      sampleValue(families, "edge_lb_origin_response_seconds_bucket", { ...A, le });
    expect(bucket("0.005")).toBe(1);
    expect(bucket("0.025")).toBe(1);
    expect(bucket("0.05")).toBe(3);
    expect(bucket("1")).toBe(4);
    expect(bucket("+Inf")).toBe(4);
    expect(sampleValue(families, "edge_lb_origin_response_seconds_count", A)).toBe(4);
    expect(sampleValue(families, "edge_lb_origin_response_seconds_sum", A)).toBeCloseTo(0.983, 9);
  });

  it("writes the sample lines in the documented shape", () => {
    const text = renderExposition({
      counters: [{ name: "edge_lb_retries_total", labels: A, value: 2 }],
      gauges: [{ name: "edge_lb_pools", labels: {}, value: 3 }],
    });
    expect(text.split("\n")).toEqual([
      `# HELP edge_lb_retries_total ${METRICS.find((m) => m.name === "edge_lb_retries_total")?.help}`,
      "# TYPE edge_lb_retries_total counter",
      'edge_lb_retries_total{load_balancer="www",pool="web",origin="a"} 2',
      "# HELP edge_lb_pools Configured pools.",
      "# TYPE edge_lb_pools gauge",
      "edge_lb_pools 3",
      "",
    ]);
  });

  it("escapes backslashes, quotes and line feeds in label values so they read back unchanged", () => {
    const origin = 'we"ird\\name\nline';
    const text = renderExposition({
      counters: [{ name: "edge_lb_retries_total", labels: { ...A, origin }, value: 1 }],
    });
    expect(text).toContain('origin="we\\"ird\\\\name\\nline"');
    expect(samplesOf(parseExposition(text), "edge_lb_retries_total")[0]?.labels.origin).toBe(origin);
  });

  it("adds up the same series reported by several pools and keeps one line per series", () => {
    const text = renderExposition({
      counters: [
        { name: "edge_lb_unserved_requests_total", labels: { load_balancer: "www" }, value: 2 },
        { name: "edge_lb_unserved_requests_total", labels: { load_balancer: "www" }, value: 3 },
      ],
      histograms: [
        {
          name: "edge_lb_request_duration_seconds",
          labels: { load_balancer: "www", pool: "web" },
          histogram: histogramOf(1),
        },
        {
          name: "edge_lb_request_duration_seconds",
          labels: { load_balancer: "www", pool: "web" },
          histogram: histogramOf(2),
        },
      ],
    });
    const families = parseExposition(text);
    expect(sampleValue(families, "edge_lb_unserved_requests_total", { load_balancer: "www" })).toBe(5);
    expect(sampleValue(families, "edge_lb_request_duration_seconds_count", { pool: "web" })).toBe(2);
  });

  it("orders families by the catalog and samples by label values, whatever the input order", () => {
    const counters = [
      { name: "edge_lb_retries_total", labels: { ...A, origin: "b" }, value: 1 },
      { name: "edge_lb_requests_total", labels: { ...A, status_class: "5xx" }, value: 1 },
      { name: "edge_lb_retries_total", labels: A, value: 1 },
      { name: "edge_lb_requests_total", labels: { ...A, status_class: "2xx" }, value: 1 },
    ];
    const forward = renderExposition({ counters });
    expect(renderExposition({ counters: [...counters].reverse() })).toBe(forward);
    const samples = forward.split("\n").filter((line) => line && !line.startsWith("#"));
    expect(samples.map((line) => line.split(" ")[0])).toEqual([
      'edge_lb_requests_total{load_balancer="www",pool="web",origin="a",status_class="2xx"}',
      'edge_lb_requests_total{load_balancer="www",pool="web",origin="a",status_class="5xx"}',
      'edge_lb_retries_total{load_balancer="www",pool="web",origin="a"}',
      'edge_lb_retries_total{load_balancer="www",pool="web",origin="b"}',
    ]);
  });

  it("leaves out names the catalog does not define and renders nothing for nothing", () => {
    expect(renderExposition({ counters: [{ name: "something_else_total", labels: {}, value: 1 }] })).toBe("");
    expect(renderExposition({})).toBe("");
  });

  it("formats special values the way Prometheus reads them", () => {
    expect(formatValue(Number.POSITIVE_INFINITY)).toBe("+Inf");
    expect(formatValue(Number.NEGATIVE_INFINITY)).toBe("-Inf");
    expect(formatValue(Number.NaN)).toBe("NaN");
    expect(formatValue(0.25)).toBe("0.25");
    expect(EXPOSITION_CONTENT_TYPE).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});

describe("one scrape", () => {
  const base = {
    configVersion: 9,
    loadBalancers: ["www"],
    rules: new Map([["www", new Set(["maintenance"])]]),
    pools: 1,
    scrapeErrors: 1,
    doCalls: { config: 2, pool_state: 0, report: 5, admin: 1 },
    proxiedRequests: 40,
  };

  it("shows the configuration, scrape errors and this isolate's counters next to the pools' series", () => {
    const families = parseExposition(
      scrapeExposition({
        ...base,
        poolMetrics: [
          {
            counters: [{ name: "edge_lb_requests_total", labels: { ...A, status_class: "2xx" }, value: 4 }],
            histograms: [],
            gauges: [{ name: "edge_lb_origin_healthy", labels: { pool: "web", origin: "a" }, value: 1 }],
          },
        ],
      }),
    );
    expect(sampleValue(families, "edge_lb_config_version")).toBe(9);
    expect(sampleValue(families, "edge_lb_load_balancers")).toBe(1);
    expect(sampleValue(families, "edge_lb_pools")).toBe(1);
    expect(sampleValue(families, "edge_lb_scrape_errors")).toBe(1);
    expect(sampleValue(families, "edge_lb_do_calls_total", { purpose: "report" })).toBe(5);
    expect(sampleValue(families, "edge_lb_proxied_requests_total")).toBe(40);
    expect(sampleValue(families, "edge_lb_requests_total", { origin: "a" })).toBe(4);
    expect(sampleValue(families, "edge_lb_origin_healthy", { origin: "a" })).toBe(1);
  });

  it("leaves out the series of load balancers deleted since", () => {
    const families = parseExposition(
      scrapeExposition({
        ...base,
        poolMetrics: [
          {
            counters: [
              { name: "edge_lb_retries_total", labels: A, value: 1 },
              { name: "edge_lb_retries_total", labels: { ...A, load_balancer: "gone" }, value: 1 },
            ],
            histograms: [],
            gauges: [],
          },
        ],
      }),
    );
    expect(samplesOf(families, "edge_lb_retries_total").map((s) => s.labels.load_balancer)).toEqual(["www"]);
  });

  it("leaves out the series of rules removed since", () => {
    const rule = { load_balancer: "www", action: "respond", status_class: "5xx" };
    const families = parseExposition(
      scrapeExposition({
        ...base,
        poolMetrics: [
          {
            counters: [
              { name: "edge_lb_rule_responses_total", labels: { ...rule, rule: "maintenance" }, value: 3 },
              { name: "edge_lb_rule_responses_total", labels: { ...rule, rule: "removed" }, value: 2 },
            ],
            histograms: [],
            gauges: [],
          },
        ],
      }),
    );
    expect(samplesOf(families, "edge_lb_rule_responses_total").map((s) => s.labels.rule)).toEqual([
      "maintenance",
    ]);
  });
});
