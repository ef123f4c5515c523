/**
 * The running metric totals of one pool, inside its PoolState: the deltas edges send with their
 * reports, plus counters of the pool's own health events, summed since the pool was created. Kept
 * in memory and in the SQLite table below, one row per series, written as series change:
 *
 * - `metric_series(name, labels, value, histogram)`: `labels` is the JSON object of label values in
 *   catalog order; `value` holds a counter's total, `histogram` a histogram's JSON
 *   `{ buckets, sum, count }` (ms, per-bucket counts).
 *
 * Deleting the pool deletes the table with the rest of the object's storage.
 */
import type { Pool } from "../../worker/config/schema.ts";
import type { HealthEvent, PoolSnapshot } from "../../worker/health/types.ts";
import { metricDefinition } from "../../worker/metrics/catalog.ts";
import { type Histogram, LATENCY_BUCKETS_MS } from "../../worker/metrics/histogram.ts";
import { normalizeDelta } from "../../worker/metrics/normalize.ts";
import { countHealthEvents, poolGauges } from "../../worker/metrics/pool-series.ts";
import { type Labels, type MetricsDelta, type PoolMetrics, SeriesSet } from "../../worker/metrics/series.ts";

/** Series kept per pool: load balancers x origins x outcomes stays far below it in any real setup. */
export const MAX_POOL_SERIES = 20_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS metric_series (
  name TEXT NOT NULL,
  labels TEXT NOT NULL,
  value REAL,
  histogram TEXT,
  PRIMARY KEY (name, labels)
);`;

interface SeriesRow extends Record<string, SqlStorageValue> {
  name: string;
  labels: string;
  value: number | null;
  histogram: string | null;
}

export class PoolStateMetrics {
  #sql: SqlStorage;
  /** Loaded on first use; null again after the object's storage was deleted. */
  #totals: SeriesSet | null = null;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /** Adds the valid part of an edge's metrics delta to the totals of pool `poolId`. */
  addDelta(poolId: string, input: unknown): void {
    const delta = normalizeDelta(input, poolId);
    if (delta.counters.length + delta.histograms.length > 0) this.#apply(delta);
  }

  /** Counts the health events that have counters (ejections, transitions, failovers). */
  countEvents(events: readonly HealthEvent[]): void {
    if (events.length === 0) return;
    const counted = new SeriesSet();
    if (countHealthEvents(counted, events)) this.#apply(counted.toDelta());
  }

  /**
   * The totals and the gauges of the pool now. Series of origins the pool no longer has are
   * dropped for good here.
   */
  read(pool: Pool, snapshot: PoolSnapshot): PoolMetrics {
    const totals = this.#load();
    const names = new Set(pool.origins.map((origin) => origin.name));
    const dropped = totals.retain((_name, labels) => labels.origin === undefined || names.has(labels.origin));
    for (const series of dropped) {
      this.#sql.exec(
        "DELETE FROM metric_series WHERE name = ? AND labels = ?",
        series.name,
        labelsJson(series),
      );
    }
    const gauges = poolGauges(
      snapshot,
      pool.origins.map((origin) => origin.name),
    );
    if (totals.droppedSeries > 0) {
      gauges.push({
        name: "edge_lb_metric_series_dropped",
        labels: { pool: pool.id },
        value: totals.droppedSeries,
      });
    }
    return { ...totals.toDelta(), gauges };
  }

  /** Forgets the totals held in memory, after the object's storage was deleted. */
  reset(): void {
    this.#totals = null;
  }

  #apply(delta: MetricsDelta): void {
    const totals = this.#load();
    totals.merge(delta);
    for (const point of delta.counters) {
      const value = totals.counter(point.name, point.labels);
      if (value === undefined) continue;
      this.#sql.exec(
        "INSERT OR REPLACE INTO metric_series (name, labels, value, histogram) VALUES (?, ?, ?, NULL)",
        point.name,
        labelsJson(point),
        value,
      );
    }
    for (const point of delta.histograms) {
      const histogram = totals.histogram(point.name, point.labels);
      if (histogram === undefined) continue;
      this.#sql.exec(
        "INSERT OR REPLACE INTO metric_series (name, labels, value, histogram) VALUES (?, ?, NULL, ?)",
        point.name,
        labelsJson(point),
        JSON.stringify(histogram),
      );
    }
  }

  #load(): SeriesSet {
    if (this.#totals) return this.#totals;
    this.#sql.exec(SCHEMA);
    const totals = new SeriesSet(MAX_POOL_SERIES);
    const rows = this.#sql
      .exec<SeriesRow>("SELECT name, labels, value, histogram FROM metric_series")
      .toArray();
    for (const row of rows) {
      const labels = JSON.parse(row.labels) as Labels;
      if (row.histogram !== null) {
        const histogram = JSON.parse(row.histogram) as Histogram;
        // Rows written with other bucket bounds cannot be added to; they start over.
        if (histogram.buckets?.length !== LATENCY_BUCKETS_MS.length + 1) continue;
        totals.merge({ counters: [], histograms: [{ name: row.name, labels, histogram }] });
      } else if (row.value !== null) {
        totals.add(row.name, labels, row.value);
      }
    }
    this.#totals = totals;
    return totals;
  }
}

/** The stored form of a series' labels: their JSON in catalog order, so one series is one row. */
function labelsJson(series: { name: string; labels: Labels }): string {
  const definition = metricDefinition(series.name);
  const ordered: Record<string, string> = {};
  for (const label of definition?.labels ?? Object.keys(series.labels).sort()) {
    ordered[label] = series.labels[label] ?? "";
  }
  return JSON.stringify(ordered);
}
