/**
 * The Prometheus text exposition format (version 0.0.4): one `# HELP` and one `# TYPE` line per
 * family, then its samples; label values escaped; histograms as cumulative `_bucket{le=...}` series
 * ending in `+Inf`, then `_sum` and `_count`. Families follow the catalog's order and samples the
 * order of their label values, so two scrapes of the same state read the same. Pure.
 */
import { type MetricDefinition, metricDefinition, metricOrder } from "./catalog.ts";
import { cumulativeBuckets, type Histogram, LATENCY_BUCKETS_MS } from "./histogram.ts";
import {
  type CounterPoint,
  type GaugePoint,
  type HistogramPoint,
  type Labels,
  SeriesSet,
  seriesKey,
} from "./series.ts";

/** The media type of this format. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export interface ExpositionInput {
  /** Counters; points of the same series (e.g. from several pools) are added up. */
  readonly counters?: readonly CounterPoint[];
  /** Histograms in ms; points of the same series are added up bucket by bucket. */
  readonly histograms?: readonly HistogramPoint[];
  /** Gauges; of two points of the same series, the later one counts. */
  readonly gauges?: readonly GaugePoint[];
}

interface Sample {
  readonly key: string;
  readonly lines: string[];
}

/**
 * Renders every point of a catalog metric; names the catalog does not define are left out.
 * @example renderExposition({ gauges: [{ name: "edge_lb_pools", labels: {}, value: 2 }] })
 * // "# HELP edge_lb_pools Configured pools.\n# TYPE edge_lb_pools gauge\nedge_lb_pools 2\n"
 */
export function renderExposition(input: ExpositionInput): string {
  const summed = new SeriesSet();
  summed.merge({ counters: input.counters ?? [], histograms: input.histograms ?? [] });
  const { counters, histograms } = summed.toDelta();
  const gauges = new Map<string, GaugePoint>();
  for (const point of input.gauges ?? []) gauges.set(seriesKey(point.name, point.labels), point);

  const families = new Map<string, Sample[]>();
  const add = (name: string, sample: Sample) => {
    const list = families.get(name);
    if (list) list.push(sample);
    else families.set(name, [sample]);
  };
  for (const point of [...counters, ...gauges.values()]) {
    const definition = metricDefinition(point.name);
    if (!definition || definition.type === "histogram") continue;
    const labels = labelText(definition, point.labels);
    add(point.name, {
      key: seriesKey(point.name, point.labels),
      lines: [`${point.name}${labels} ${formatValue(point.value)}`],
    });
  }
  for (const point of histograms) {
    const definition = metricDefinition(point.name);
    if (definition?.type !== "histogram") continue;
    add(point.name, {
      key: seriesKey(point.name, point.labels),
      lines: histogramLines(definition, point.labels, point.histogram),
    });
  }

  const out: string[] = [];
  const names = [...families.keys()].sort((a, b) => metricOrder(a) - metricOrder(b));
  for (const name of names) {
    const definition = metricDefinition(name) as MetricDefinition;
    out.push(`# HELP ${name} ${escapeHelp(definition.help)}`, `# TYPE ${name} ${definition.type}`);
    const samples = (families.get(name) ?? []).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const sample of samples) out.push(...sample.lines);
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

function histogramLines(definition: MetricDefinition, labels: Labels, histogram: Histogram): string[] {
  const name = definition.name;
  const cumulative = cumulativeBuckets(histogram);
  const lines = LATENCY_BUCKETS_MS.map(
    (boundMs, i) =>
      `${name}_bucket${labelText(definition, labels, formatValue(boundMs / 1000))} ${formatValue(cumulative[i] ?? 0)}`,
  );
  const plain = labelText(definition, labels);
  lines.push(
    `${name}_bucket${labelText(definition, labels, "+Inf")} ${formatValue(histogram.count)}`,
    `${name}_sum${plain} ${formatValue(histogram.sum / 1000)}`,
    `${name}_count${plain} ${formatValue(histogram.count)}`,
  );
  return lines;
}

/** `{a="1",b="2"}` in the catalog's label order, `le` last when given; "" without labels. */
function labelText(definition: MetricDefinition, labels: Labels, le?: string): string {
  const pairs = definition.labels.map((label) => `${label}="${escapeLabelValue(labels[label] ?? "")}"`);
  if (le !== undefined) pairs.push(`le="${le}"`);
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

/**
 * A label value as the format wants it: backslash, double quote and line feed escaped.
 * @example escapeLabelValue('a"b') // 'a\\"b'
 */
export function escapeLabelValue(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

function escapeHelp(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

/**
 * A sample value: a Go-parsable float, `+Inf`, `-Inf` or `NaN`.
 * @example formatValue(0.25) // "0.25"; formatValue(Infinity) // "+Inf"
 */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}
