/**
 * Sets of metric series (a name plus label values) with their figures: counters and latency
 * histograms. The edge adds up its requests in one per pool and sends it as a `MetricsDelta`; the
 * PoolState merges those deltas into its running totals. Plain data, so it crosses RPC as is. Pure.
 */
import { metricDefinition } from "./catalog.ts";
import { emptyHistogram, type Histogram, mergeHistogram, observe } from "./histogram.ts";

export type Labels = Readonly<Record<string, string>>;

export interface CounterPoint {
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
}

export interface HistogramPoint {
  readonly name: string;
  readonly labels: Labels;
  readonly histogram: Histogram;
}

/** A gauge's value at the moment it was read. */
export type GaugePoint = CounterPoint;

/** Counts since the previous delta (edge to PoolState), or running totals (PoolState to the scrape). */
export interface MetricsDelta {
  readonly counters: readonly CounterPoint[];
  readonly histograms: readonly HistogramPoint[];
}

interface MutableCounter {
  name: string;
  labels: Labels;
  value: number;
}

interface MutableHistogram {
  name: string;
  labels: Labels;
  histogram: Histogram;
}

/**
 * The identity of a series: its name and its label values in the catalog's label order.
 * @example seriesKey("edge_lb_retries_total", { load_balancer: "www", pool: "web", origin: "a" })
 */
export function seriesKey(name: string, labels: Labels): string {
  const definition = metricDefinition(name);
  const values = definition
    ? definition.labels.map((label) => labels[label] ?? "")
    : Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${name}${JSON.stringify(values)}`;
}

/** A series identified once (its key computed up front), for code that counts the same series often. */
export interface SeriesRef {
  readonly key: string;
  readonly name: string;
  readonly labels: Labels;
}

/**
 * A series and its key, to pass to `SeriesSet#addRef` and `#observeRef` instead of name and labels.
 * @example const retries = seriesRef("edge_lb_retries_total", labels); set.addRef(retries);
 */
export function seriesRef(name: string, labels: Labels): SeriesRef {
  return { key: seriesKey(name, labels), name, labels };
}

/**
 * Counters and histograms by series. A set made with a `maxSeries` cap keeps adding to the series it
 * holds but ignores new ones beyond the cap, so a flood of distinct label values cannot grow it;
 * `droppedSeries` counts what it ignored, so the loss is never silent (a metric and a log line).
 */
export class SeriesSet {
  #counters = new Map<string, MutableCounter>();
  #histograms = new Map<string, MutableHistogram>();
  #maxSeries: number;
  #dropped = 0;

  constructor(maxSeries = Number.POSITIVE_INFINITY) {
    this.#maxSeries = maxSeries;
  }

  /** Updates of series that the cap kept out, since the set was made. */
  get droppedSeries(): number {
    return this.#dropped;
  }

  /** Number of distinct series held. */
  get size(): number {
    return this.#counters.size + this.#histograms.size;
  }

  /** Adds `value` to a counter, creating it at 0 first. */
  add(name: string, labels: Labels, value = 1): void {
    this.#addKeyed(seriesKey(name, labels), name, labels, value);
  }

  /** `add` for a series identified up front. */
  addRef(series: SeriesRef, value = 1): void {
    this.#addKeyed(series.key, series.name, series.labels, value);
  }

  /** Adds one observation in ms to a histogram, creating it empty first. */
  observe(name: string, labels: Labels, valueMs: number): void {
    const histogram = this.#histogramOf(seriesKey(name, labels), name, labels);
    if (histogram) observe(histogram, valueMs);
  }

  /** `observe` for a series identified up front. */
  observeRef(series: SeriesRef, valueMs: number): void {
    const histogram = this.#histogramOf(series.key, series.name, series.labels);
    if (histogram) observe(histogram, valueMs);
  }

  /** Adds every point of `delta` to this set. */
  merge(delta: MetricsDelta): void {
    for (const point of delta.counters) this.add(point.name, point.labels, point.value);
    for (const point of delta.histograms) {
      const histogram = this.#histogramOf(seriesKey(point.name, point.labels), point.name, point.labels);
      if (histogram) mergeHistogram(histogram, point.histogram);
    }
  }

  /** A counter's value; undefined when the set holds no such counter. */
  counter(name: string, labels: Labels): number | undefined {
    return this.#counters.get(seriesKey(name, labels))?.value;
  }

  /** A histogram (the set's own, not a copy); undefined when the set holds no such histogram. */
  histogram(name: string, labels: Labels): Readonly<Histogram> | undefined {
    return this.#histograms.get(seriesKey(name, labels))?.histogram;
  }

  /** Drops the series `keep` refuses (e.g. those of origins removed from a pool) and lists them. */
  retain(keep: (name: string, labels: Labels) => boolean): { name: string; labels: Labels }[] {
    const dropped: { name: string; labels: Labels }[] = [];
    for (const series of [this.#counters, this.#histograms]) {
      for (const [key, entry] of series) {
        if (keep(entry.name, entry.labels)) continue;
        series.delete(key);
        dropped.push({ name: entry.name, labels: entry.labels });
      }
    }
    return dropped;
  }

  /** A copy of every series as plain data. */
  toDelta(): MetricsDelta {
    return {
      counters: [...this.#counters.values()].map(({ name, labels, value }) => ({ name, labels, value })),
      histograms: [...this.#histograms.values()].map(({ name, labels, histogram }) => ({
        name,
        labels,
        histogram: { buckets: [...histogram.buckets], sum: histogram.sum, count: histogram.count },
      })),
    };
  }

  #addKeyed(key: string, name: string, labels: Labels, value: number): void {
    const counter = this.#counters.get(key);
    if (counter) counter.value += value;
    else if (this.size < this.#maxSeries) this.#counters.set(key, { name, labels, value });
    else this.#dropped++;
  }

  /** The histogram of a series, created empty when missing; null when the cap allows no new one. */
  #histogramOf(key: string, name: string, labels: Labels): Histogram | null {
    let entry = this.#histograms.get(key);
    if (!entry) {
      if (this.size >= this.#maxSeries) {
        this.#dropped++;
        return null;
      }
      entry = { name, labels, histogram: emptyHistogram() };
      this.#histograms.set(key, entry);
    }
    return entry.histogram;
  }
}

/** What a PoolState hands the scrape: its running totals and its gauges, read now. */
export interface PoolMetrics extends MetricsDelta {
  readonly gauges: readonly GaugePoint[];
}
