/**
 * The running metric totals of one pool, inside its PoolState: the deltas edges send with their
 * reports, plus counters of the pool's own health events, summed since the pool was created. Kept
 * in memory and in the SQLite table below, one row per series, written as series change:
 *
 * - `metric_series(name, labels, value, histogram)`: `labels` is the JSON object of label values in
 *   catalog order; `value` holds a counter's total, `histogram` a histogram's JSON
 *   `{ buckets, sum, count }` (ms, per-bucket counts).
 * - `metric_meta(key, value)`: `reportedVersion`, the newest configuration version an edge held
 *   when it sent series (written when it grows), so that no older scope deletes them.
 *
 * Series of removed origins, of load balancers that no longer use the pool and of removed rules are
 * deleted when a scrape reads them (worker/metrics/retention.ts): no call of their own.
 *
 * Deleting the pool deletes the table with the rest of the object's storage.
 */
import type { Pool } from "../../worker/config/schema.ts";
import type { HealthEvent, PoolSnapshot } from "../../worker/health/types.ts";
import { metricDefinition } from "../../worker/metrics/catalog.ts";
import { type Histogram, LATENCY_BUCKETS_MS } from "../../worker/metrics/histogram.ts";
import { normalizeDelta } from "../../worker/metrics/normalize.ts";
import { countHealthEvents, poolGauges } from "../../worker/metrics/pool-series.ts";
import { inScope, scopeIsCurrent } from "../../worker/metrics/retention.ts";
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
);
CREATE TABLE IF NOT EXISTS metric_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);`;

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
  /** `reportedVersion`, loaded with the totals. */
  #reportedVersion = 0;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /**
   * Adds the valid part of an edge's metrics delta to the totals of pool `poolId`; `configVersion`
   * is the version of the configuration the edge held when it sent it.
   */
  addDelta(poolId: string, input: unknown, configVersion: unknown): void {
    const delta = normalizeDelta(input, poolId);
    if (delta.counters.length + delta.histograms.length === 0) return;
    this.#apply(delta);
    if (
      typeof configVersion === "number" &&
      Number.isSafeInteger(configVersion) &&
      configVersion > this.#reportedVersion
    ) {
      this.#reportedVersion = configVersion;
      this.#sql.exec(
        "INSERT OR REPLACE INTO metric_meta (key, value) VALUES ('reportedVersion', ?)",
        configVersion,
      );
    }
  }

  /** Counts the health events that have counters (ejections, transitions, failovers). */
  countEvents(events: readonly HealthEvent[]): void {
    if (events.length === 0) return;
    const counted = new SeriesSet();
    if (countHealthEvents(counted, events)) this.#apply(counted.toDelta());
  }

  /**
   * The totals and the gauges of the pool now. Series of origins the pool no longer has are
   * dropped for good here, and so are those outside `scope` (the scraper's configuration) when it is
   * at least as new as `newestKnown`, the pool's own version and every version that sent series.
   */
  read(pool: Pool, snapshot: PoolSnapshot, scope: unknown, newestKnown: number): PoolMetrics {
    const totals = this.#load();
    const names = new Set(pool.origins.map((origin) => origin.name));
    const current = scopeIsCurrent(scope, Math.max(newestKnown, pool.version, this.#reportedVersion));
    const dropped = totals.retain(
      (_name, labels) =>
        (labels.origin === undefined || names.has(labels.origin)) &&
        (current === null || inScope(current, labels)),
    );
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
    gauges.push({ name: "edge_lb_metric_series", labels: { pool: pool.id }, value: totals.size });
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
    this.#reportedVersion = 0;
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
    const reported = this.#sql
      .exec<{ value: number }>("SELECT value FROM metric_meta WHERE key = 'reportedVersion'")
      .toArray()[0];
    this.#reportedVersion = reported?.value ?? 0;
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
