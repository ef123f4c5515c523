/**
 * The SQLite storage of one PoolState DO. Tables (documented in docs/storage.md):
 *
 * - `meta(key, value)`: `pool` (the pool configuration as JSON), `last_round_at` (start of the last
 *   completed probe round, ms), `pool_healthy` ("1"/"0", the last pool verdict events were based on).
 * - `origins(...)`: one row per configured origin, the fields of `OriginRecord`.
 * - `events(id, at, kind, pool, origin, message)`: the last `MAX_EVENTS` health events.
 * - `drained(name, weight, since)`: the weight an origin had when it was drained through the API, so
 *   undrain restores it, and when the drain began (sessions may keep reaching it for a while).
 *
 * All calls are synchronous (SQLite in the DO); cursors are read fully before returning.
 */
import type { Pool } from "../../worker/config/schema.ts";
import type { CheckStatus, HealthEvent, HealthEventKind, OriginRecord } from "../../worker/health/types.ts";

/** Events kept per pool; older ones are deleted as new ones arrive. */
export const MAX_EVENTS = 500;

type MetaKey = "pool" | "last_round_at" | "pool_healthy";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS origins (
  name TEXT PRIMARY KEY,
  target TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  check_status TEXT NOT NULL,
  successes INTEGER NOT NULL,
  failures INTEGER NOT NULL,
  healthy_since INTEGER,
  last_check_at INTEGER,
  last_error TEXT,
  latency_ms REAL,
  passive_streak INTEGER NOT NULL,
  ejections INTEGER NOT NULL,
  ejected_until INTEGER,
  last_ejection_end INTEGER,
  ejected_at INTEGER,
  passing_since INTEGER
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  pool TEXT NOT NULL,
  origin TEXT,
  message TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS drained (name TEXT PRIMARY KEY, weight REAL NOT NULL, since INTEGER);`;

interface OriginRow extends Record<string, SqlStorageValue> {
  name: string;
  target: string;
  added_at: number;
  check_status: string;
  successes: number;
  failures: number;
  healthy_since: number | null;
  last_check_at: number | null;
  last_error: string | null;
  latency_ms: number | null;
  passive_streak: number;
  ejections: number;
  ejected_until: number | null;
  last_ejection_end: number | null;
  ejected_at: number | null;
  passing_since: number | null;
}

interface EventRow extends Record<string, SqlStorageValue> {
  at: number;
  kind: string;
  pool: string;
  origin: string | null;
  message: string;
}

export class PoolStateStore {
  #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /** Whether the tables exist: a never-configured or deleted pool keeps no storage at all. */
  exists(): boolean {
    return (
      this.#sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").toArray()
        .length > 0
    );
  }

  /** Creates the tables when missing (first configuration, or after all storage was deleted). */
  migrate(): void {
    this.#sql.exec(SCHEMA);
    // Columns added after the first release: storage written before lacks them.
    const columns = new Set(
      this.#sql
        .exec<{ name: string }>("SELECT name FROM pragma_table_info('origins')")
        .toArray()
        .map((row) => row.name),
    );
    for (const column of ["ejected_at", "passing_since"]) {
      if (!columns.has(column)) this.#sql.exec(`ALTER TABLE origins ADD COLUMN ${column} INTEGER`);
    }
    const drained = this.#sql
      .exec<{ name: string }>("SELECT name FROM pragma_table_info('drained')")
      .toArray();
    if (!drained.some((row) => row.name === "since"))
      this.#sql.exec("ALTER TABLE drained ADD COLUMN since INTEGER");
  }

  loadPool(): Pool | null {
    const value = this.#getMeta("pool");
    return value === null ? null : (JSON.parse(value) as Pool);
  }

  savePool(pool: Pool): void {
    this.#setMeta("pool", JSON.stringify(pool));
  }

  lastRoundAt(): number | null {
    const value = this.#getMeta("last_round_at");
    return value === null ? null : Number(value);
  }

  setLastRoundAt(at: number | null): void {
    if (at === null) this.#sql.exec("DELETE FROM meta WHERE key = 'last_round_at'");
    else this.#setMeta("last_round_at", String(at));
  }

  poolHealthy(): boolean | null {
    const value = this.#getMeta("pool_healthy");
    return value === null ? null : value === "1";
  }

  setPoolHealthy(healthy: boolean): void {
    this.#setMeta("pool_healthy", healthy ? "1" : "0");
  }

  loadRecords(): Map<string, OriginRecord> {
    const rows = this.#sql.exec<OriginRow>("SELECT * FROM origins").toArray();
    return new Map(rows.map((row) => [row.name, fromRow(row)]));
  }

  saveRecord(record: OriginRecord): void {
    this.#sql.exec(
      `INSERT OR REPLACE INTO origins (name, target, added_at, check_status, successes, failures,
         healthy_since, last_check_at, last_error, latency_ms, passive_streak, ejections, ejected_until,
         last_ejection_end, ejected_at, passing_since)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      record.name,
      record.target,
      record.addedAt,
      record.check,
      record.successes,
      record.failures,
      record.healthySince,
      record.lastCheckAt,
      record.lastError,
      record.latencyMs,
      record.passiveStreak,
      record.ejections,
      record.ejectedUntil,
      record.lastEjectionEnd,
      record.ejectedAt,
      record.passingSince,
    );
  }

  deleteRecord(name: string): void {
    this.#sql.exec("DELETE FROM origins WHERE name = ?", name);
  }

  /** Stores `events` (the last `MAX_EVENTS` are kept) and logs each as one JSON line. */
  recordEvents(events: readonly HealthEvent[]): void {
    for (const event of events) {
      this.insertEvent(event);
      console.log(
        JSON.stringify({
          event: event.kind,
          at: new Date(event.at).toISOString(),
          subject: event.subject,
          pool: event.pool,
          origin: event.origin,
          message: event.message,
        }),
      );
    }
  }

  insertEvent(event: HealthEvent): void {
    this.#sql.exec(
      "INSERT INTO events (at, kind, pool, origin, message) VALUES (?, ?, ?, ?, ?)",
      event.at,
      event.kind,
      event.pool,
      event.origin,
      event.message,
    );
    this.#sql.exec("DELETE FROM events WHERE id <= (SELECT MAX(id) FROM events) - ?", MAX_EVENTS);
  }

  /** The newest `limit` events of the given kinds, newest first. */
  listEventsOfKinds(kinds: readonly HealthEventKind[], limit: number): HealthEvent[] {
    const marks = kinds.map(() => "?").join(", ");
    const rows = this.#sql
      .exec<EventRow>(
        `SELECT at, kind, pool, origin, message FROM events WHERE kind IN (${marks})
         ORDER BY at DESC, id DESC LIMIT ?`,
        ...kinds,
        limit,
      )
      .toArray();
    return rows.map(fromEventRow);
  }

  /** The weight an origin had before it was drained through the API, or null. */
  drainedWeight(name: string): number | null {
    const rows = this.#sql
      .exec<{ weight: number }>("SELECT weight FROM drained WHERE name = ?", name)
      .toArray();
    return rows[0]?.weight ?? null;
  }

  setDrainedWeight(name: string, weight: number, since: number): void {
    this.#sql.exec(
      "INSERT OR REPLACE INTO drained (name, weight, since) VALUES (?, ?, ?)",
      name,
      weight,
      since,
    );
  }

  /** When each drain through the API began, by origin name. */
  drainStarts(): Map<string, { since: number; weight: number }> {
    const rows = this.#sql
      .exec<{ name: string; since: number | null; weight: number }>(
        "SELECT name, since, weight FROM drained WHERE since IS NOT NULL",
      )
      .toArray();
    return new Map(rows.map((row) => [row.name, { since: row.since as number, weight: row.weight }]));
  }

  deleteDrainedWeight(name: string): void {
    this.#sql.exec("DELETE FROM drained WHERE name = ?", name);
  }

  /** Forgets the drained weights of origins the pool no longer has. */
  keepDrainedWeights(names: ReadonlySet<string>): void {
    const rows = this.#sql.exec<{ name: string }>("SELECT name FROM drained").toArray();
    for (const row of rows) if (!names.has(row.name)) this.deleteDrainedWeight(row.name);
  }

  /** The newest `limit` events, newest first. */
  listEvents(limit: number): HealthEvent[] {
    const rows = this.#sql
      .exec<EventRow>(
        "SELECT at, kind, pool, origin, message FROM events ORDER BY at DESC, id DESC LIMIT ?",
        limit,
      )
      .toArray();
    return rows.map(fromEventRow);
  }

  #getMeta(key: MetaKey): string | null {
    const rows = this.#sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray();
    return rows[0]?.value ?? null;
  }

  #setMeta(key: MetaKey, value: string): void {
    this.#sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value);
  }
}

function fromEventRow(row: EventRow): HealthEvent {
  return {
    at: row.at,
    kind: row.kind as HealthEventKind,
    subject: row.origin === null ? row.pool : `${row.pool}/${row.origin}`,
    message: row.message,
    pool: row.pool,
    origin: row.origin,
  };
}

function fromRow(row: OriginRow): OriginRecord {
  return {
    name: row.name,
    target: row.target,
    addedAt: row.added_at,
    check: row.check_status as CheckStatus,
    successes: row.successes,
    failures: row.failures,
    healthySince: row.healthy_since,
    lastCheckAt: row.last_check_at,
    lastError: row.last_error,
    latencyMs: row.latency_ms,
    passiveStreak: row.passive_streak,
    ejections: row.ejections,
    ejectedUntil: row.ejected_until,
    lastEjectionEnd: row.last_ejection_end,
    ejectedAt: row.ejected_at ?? null,
    passingSince: row.passing_since ?? null,
  };
}
