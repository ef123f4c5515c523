/**
 * Reading a metrics delta an edge sent, defensively: the PoolState keeps running totals for good,
 * so it accepts only series the catalog defines as edge-counted, with exactly the catalog's labels,
 * the pool's own id in the `pool` label, and sane figures. Everything else is dropped. Pure.
 */
import { metricDefinition } from "./catalog.ts";
import { emptyHistogram, type Histogram, LATENCY_BUCKETS_MS } from "./histogram.ts";
import type { CounterPoint, HistogramPoint, Labels, MetricsDelta } from "./series.ts";

/** Points read from one delta at most; an edge sends one per series it saw traffic on. */
const MAX_POINTS = 10_000;
const MAX_LABEL_LENGTH = 256;
const MAX_COUNT = 1_000_000_000;
/** A day in ms: no single observation, let alone a sum of a period's, is believably larger per request. */
const MAX_MS_PER_OBSERVATION = 86_400_000;

const EMPTY: MetricsDelta = { counters: [], histograms: [] };

/**
 * The valid part of `input` for the pool `poolId`; an empty delta when nothing is valid.
 * @example const delta = normalizeDelta(payload, "web");
 */
export function normalizeDelta(input: unknown, poolId: string): MetricsDelta {
  if (typeof input !== "object" || input === null) return EMPTY;
  const { counters, histograms } = input as { counters?: unknown; histograms?: unknown };
  const result = { counters: [] as CounterPoint[], histograms: [] as HistogramPoint[] };
  for (const point of listOf(counters)) {
    const labels = pointLabels(point, "counter", poolId);
    const value = labels ? count((point as { value?: unknown }).value) : 0;
    if (labels && value > 0) result.counters.push({ name: labels.name, labels: labels.labels, value });
  }
  for (const point of listOf(histograms)) {
    const labels = pointLabels(point, "histogram", poolId);
    const histogram = labels ? readHistogram((point as { histogram?: unknown }).histogram) : null;
    if (labels && histogram) result.histograms.push({ name: labels.name, labels: labels.labels, histogram });
  }
  return result;
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value.slice(0, MAX_POINTS) : [];
}

/** The point's name and labels, rebuilt in catalog order, when they are acceptable. */
function pointLabels(
  point: unknown,
  type: "counter" | "histogram",
  poolId: string,
): { name: string; labels: Labels } | null {
  if (typeof point !== "object" || point === null) return null;
  const { name, labels } = point as { name?: unknown; labels?: unknown };
  if (typeof name !== "string") return null;
  const definition = metricDefinition(name);
  if (definition?.source !== "edge" || definition.type !== type) return null;
  if (typeof labels !== "object" || labels === null) return null;
  const given = labels as Record<string, unknown>;
  if (Object.keys(given).length !== definition.labels.length) return null;
  const clean: Record<string, string> = {};
  for (const label of definition.labels) {
    const value = given[label];
    if (typeof value !== "string" || value.length === 0 || value.length > MAX_LABEL_LENGTH) return null;
    if (label === "pool" && value !== poolId) return null;
    clean[label] = value;
  }
  return { name, labels: clean };
}

function readHistogram(value: unknown): Histogram | null {
  if (typeof value !== "object" || value === null) return null;
  const { buckets, sum } = value as { buckets?: unknown; sum?: unknown };
  if (!Array.isArray(buckets) || buckets.length !== LATENCY_BUCKETS_MS.length + 1) return null;
  const histogram = emptyHistogram();
  histogram.buckets = buckets.map(count);
  histogram.count = histogram.buckets.reduce((total, n) => total + n, 0);
  if (histogram.count === 0) return null;
  const total = typeof sum === "number" && Number.isFinite(sum) && sum > 0 ? sum : 0;
  histogram.sum = Math.min(total, histogram.count * MAX_MS_PER_OBSERVATION);
  return histogram;
}

function count(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) return 0;
  return Math.min(Math.floor(value), MAX_COUNT);
}
