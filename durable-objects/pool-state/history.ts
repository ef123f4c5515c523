/**
 * The pool's minute-by-minute history inside its PoolState (see worker/metrics/history.ts), in the
 * SQLite table
 *
 * - `history(origin, minute, figures, inflight, state)`: one row per origin and minute; `figures`
 *   is the JSON of requests, failures by kind, retries and latency buckets.
 *
 * Written when an edge's report carries a metrics delta (no call of its own), pruned to 24 hours and
 * to the pool's current origins, deleted with the rest of the object's storage.
 */
import type { HealthEvent, PoolSnapshot } from "../../worker/health/types.ts";
import {
  addFigures,
  emptyFigures,
  figuresOfDelta,
  HISTORY_KEEP_MS,
  HISTORY_STEP_MS,
  HISTORY_WINDOWS,
  type HistoryPoint,
  type HistoryWindow,
  type MinuteFigures,
  minuteOf,
  type PoolHistory,
  toPoint,
} from "../../worker/metrics/history.ts";
import type { MetricsDelta } from "../../worker/metrics/series.ts";

export type { PoolHistory };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS history (
  origin TEXT NOT NULL,
  minute INTEGER NOT NULL,
  figures TEXT NOT NULL,
  inflight REAL,
  state TEXT,
  PRIMARY KEY (origin, minute)
);`;

interface HistoryRow extends Record<string, SqlStorageValue> {
  origin: string;
  minute: number;
  figures: string;
  inflight: number | null;
  state: string | null;
}

export class PoolStateHistory {
  #sql: SqlStorage;
  #ready = false;
  #prunedMinute = 0;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /** Adds a report's figures to the current minute of each origin, with states as now seen. */
  record(
    now: number,
    delta: MetricsDelta | undefined,
    snapshot: PoolSnapshot,
    origins: readonly string[],
  ): void {
    this.#schema();
    const minute = minuteOf(now);
    const figures = delta ? figuresOfDelta(delta) : new Map<string, MinuteFigures>();
    const existing = new Map(
      this.#sql
        .exec<HistoryRow>(
          "SELECT origin, minute, figures, inflight, state FROM history WHERE minute = ?",
          minute,
        )
        .toArray()
        .map((row) => [row.origin, row]),
    );
    for (const name of origins) {
      const row = existing.get(name);
      const total = row ? (JSON.parse(row.figures) as MinuteFigures) : emptyFigures();
      const added = figures.get(name);
      if (added) addFigures(total, added);
      const origin = snapshot.origins[name];
      this.#sql.exec(
        "INSERT OR REPLACE INTO history (origin, minute, figures, inflight, state) VALUES (?, ?, ?, ?, ?)",
        name,
        minute,
        JSON.stringify(total),
        origin?.inflight ?? null,
        origin?.state ?? null,
      );
    }
    if (minute !== this.#prunedMinute) {
      this.#prunedMinute = minute;
      this.#sql.exec("DELETE FROM history WHERE minute < ?", minute - HISTORY_KEEP_MS);
      const names = JSON.stringify(origins);
      this.#sql.exec("DELETE FROM history WHERE origin NOT IN (SELECT value FROM json_each(?))", names);
    }
  }

  /** The window's points, per origin in `origins` order and for the pool, with the window's events. */
  read(
    pool: string,
    window: HistoryWindow,
    now: number,
    origins: readonly string[],
    events: readonly HealthEvent[],
  ): PoolHistory {
    this.#schema();
    const from = minuteOf(now - HISTORY_WINDOWS[window]) + HISTORY_STEP_MS;
    const rows = this.#sql
      .exec<HistoryRow>(
        "SELECT origin, minute, figures, inflight, state FROM history WHERE minute >= ? ORDER BY minute",
        from,
      )
      .toArray();
    const byOrigin = new Map<string, HistoryPoint[]>(origins.map((name) => [name, []]));
    const totals = new Map<number, { figures: MinuteFigures; inflight: number; states: string[] }>();
    for (const row of rows) {
      const points = byOrigin.get(row.origin);
      if (!points) continue;
      const figures = JSON.parse(row.figures) as MinuteFigures;
      points.push(toPoint(row.minute, figures, row.inflight, row.state));
      let total = totals.get(row.minute);
      if (!total) {
        total = { figures: emptyFigures(), inflight: 0, states: [] };
        totals.set(row.minute, total);
      }
      addFigures(total.figures, figures);
      total.inflight += row.inflight ?? 0;
      if (row.state) total.states.push(row.state);
    }
    const total = [...totals.entries()].map(([minute, t]) =>
      toPoint(
        minute,
        t.figures,
        t.inflight,
        t.states.includes("healthy") ? "healthy" : (t.states[0] ?? null),
      ),
    );
    return {
      pool,
      window,
      stepSeconds: HISTORY_STEP_MS / 1000,
      from: new Date(from).toISOString(),
      to: new Date(now).toISOString(),
      total,
      origins: [...byOrigin.entries()].map(([name, points]) => ({ name, points })),
      events: events
        .filter((event) => event.at >= from)
        .sort((a, b) => a.at - b.at)
        .map((event) => ({
          at: new Date(event.at).toISOString(),
          kind: event.kind,
          origin: event.origin,
          message: event.message,
        })),
    };
  }

  /** Forgets that the table exists, after the object's storage was deleted. */
  reset(): void {
    this.#ready = false;
    this.#prunedMinute = 0;
  }

  #schema(): void {
    if (this.#ready) return;
    this.#sql.exec(SCHEMA);
    this.#ready = true;
  }
}
