/**
 * docs/grafana/edge-lb.json is imported into Grafana as it is: every query must name metrics that
 * /__lb/metrics really exports (worker/metrics/catalog.ts) and only labels those metrics carry.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { METRICS, type MetricDefinition, metricDefinition } from "../../../worker/metrics/catalog.ts";
import { REPO_ROOT } from "../../helpers/runtime.ts";

interface Target {
  expr: string;
}
interface Panel {
  title: string;
  targets: Target[];
}
interface Variable {
  name: string;
  query: { query: string };
}
interface Dashboard {
  uid: string;
  __inputs: { name: string }[];
  panels: Panel[];
  templating: { list: Variable[] };
}

const dashboard = JSON.parse(
  readFileSync(join(REPO_ROOT, "docs", "grafana", "edge-lb.json"), "utf8"),
) as Dashboard;

/** The catalog entry a series name belongs to (histograms expose _bucket, _sum and _count). */
function definitionOf(series: string): MetricDefinition | undefined {
  const direct = metricDefinition(series);
  if (direct) return direct;
  const base = series.replace(/_(bucket|sum|count)$/, "");
  const histogram = metricDefinition(base);
  return histogram?.type === "histogram" ? histogram : undefined;
}

/** Series names with the label names of their matchers, e.g. `x{pool=~"a"}` → ["x", ["pool"]]. */
function selectors(expr: string): [string, string[]][] {
  const found: [string, string[]][] = [];
  for (const match of expr.matchAll(/\b(edge_lb_[a-z_]+)\b(\{([^}]*)\})?/g)) {
    const labels = [...(match[3] ?? "").matchAll(/([a-z_]+)\s*(=~|!~|!=|=)/g)].map((m) => m[1] ?? "");
    found.push([match[1] ?? "", labels]);
  }
  return found;
}

const queries = [
  ...dashboard.panels.flatMap((panel) => panel.targets.map((t) => ({ where: panel.title, expr: t.expr }))),
  ...dashboard.templating.list.map((v) => ({ where: `variable ${v.name}`, expr: v.query.query })),
];

describe("Grafana dashboard docs/grafana/edge-lb.json", () => {
  it("asks for its Prometheus data source on import", () => {
    expect(dashboard.__inputs.map((input) => input.name)).toEqual(["DS_PROMETHEUS"]);
    expect(JSON.stringify(dashboard.panels)).not.toMatch(/"uid":\s*"(?!\$\{DS_PROMETHEUS\})/);
  });

  it.each(queries)("$where: names only exported metrics and their labels", ({ expr }) => {
    const used = selectors(expr);
    expect(used.length).toBeGreaterThan(0);
    const allowed = new Set<string>();
    for (const [series, labels] of used) {
      const definition = definitionOf(series);
      expect(definition, `${series} is not exported`).toBeDefined();
      const own = new Set([...(definition?.labels ?? []), ...(series.endsWith("_bucket") ? ["le"] : [])]);
      for (const label of labels) expect(own, `${series} has no label ${label}`).toContain(label);
      for (const label of own) allowed.add(label);
    }
    for (const group of expr.matchAll(/\bby\s*\(([^)]*)\)/g)) {
      for (const label of (group[1] ?? "").split(",").map((l) => l.trim())) {
        expect(allowed, `grouping by ${label}`).toContain(label);
      }
    }
    for (const variable of expr.matchAll(/label_values\(\s*edge_lb_[a-z_]+\s*,\s*([a-z_]+)\s*\)/g)) {
      expect(allowed).toContain(variable[1]);
    }
  });

  it("covers request rate, errors, latency, health, ejections, DO calls and rule responses", () => {
    const all = queries.map((q) => q.expr).join("\n");
    for (const name of [
      "edge_lb_requests_total",
      "edge_lb_errors_total",
      "edge_lb_request_duration_seconds_bucket",
      "edge_lb_origin_response_seconds_bucket",
      "edge_lb_origin_healthy",
      "edge_lb_origin_ejections_total",
      "edge_lb_do_calls_total",
      "edge_lb_rule_responses_total",
    ]) {
      expect(all).toContain(name);
    }
    expect(METRICS.length).toBeGreaterThan(0);
  });
});
