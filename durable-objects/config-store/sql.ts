/**
 * The ConfigStore's SQLite tables (documented in docs/storage.md) and the statements that read and
 * write them. Synchronous, so callers compose them inside `transactionSync`.
 */
import type { ConfigTotals } from "../../worker/config/limits.ts";
import type { ResourceKind } from "../../worker/config/resources.ts";
import type { LoadBalancer, Pool } from "../../worker/config/schema.ts";
import type { AuditAction, AuditEntry, PendingNotification, StoredResource } from "./types.ts";

/** Deleted resources whose last version is remembered, newest deletions first. */
export const RETIRED_RETENTION = 10_000;

/** The audit log keeps this many newest entries. */
export const AUDIT_RETENTION = 10_000;

const TABLE: Record<ResourceKind, string> = { pool: "pools", load_balancer: "load_balancers" };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS config_meta (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  version INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
INSERT OR IGNORE INTO config_meta (singleton, version, updated_at) VALUES (1, 0, 0);
CREATE TABLE IF NOT EXISTS pools (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  document TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS load_balancers (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  document TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS retired_versions (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  action TEXT NOT NULL,
  kind TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  version_from INTEGER,
  version_to INTEGER,
  config_version INTEGER NOT NULL,
  via TEXT NOT NULL,
  change TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pool_notifications (
  pool_id TEXT PRIMARY KEY,
  config_version INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT
);
`;

/** Creates missing tables; safe to run on every start. */
export function migrate(sql: SqlStorage): void {
  sql.exec(SCHEMA);
}

/** A new audit row, before the log numbers it: an audit entry with its time in ms since the epoch. */
export type AuditRecord = Omit<AuditEntry, "at"> & { at: number };

type ResourceRow = { id: string; version: number; document: string };
type AuditRow = {
  at: number;
  action: string;
  kind: string;
  resource_id: string;
  version_from: number | null;
  version_to: number | null;
  config_version: number;
  via: string;
  change: string;
};
type PendingRow = {
  pool_id: string;
  config_version: number;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
};

/** Typed access to the tables. Every method is synchronous and reads cursors to the end. */
export class ConfigTables {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  version(): number {
    return this.#sql.exec<{ version: number }>("SELECT version FROM config_meta WHERE singleton = 1").one()
      .version;
  }

  setVersion(version: number, now: number): void {
    this.#sql.exec("UPDATE config_meta SET version = ?, updated_at = ? WHERE singleton = 1", version, now);
  }

  get(kind: "pool", id: string): Pool | null;
  get(kind: "load_balancer", id: string): LoadBalancer | null;
  get(kind: ResourceKind, id: string): StoredResource | null;
  get(kind: ResourceKind, id: string): StoredResource | null {
    const rows = this.#sql
      .exec<ResourceRow>(`SELECT id, version, document FROM ${TABLE[kind]} WHERE id = ?`, id)
      .toArray();
    const row = rows[0];
    return row ? toResource(row) : null;
  }

  list(kind: "pool"): Pool[];
  list(kind: "load_balancer"): LoadBalancer[];
  list(kind: ResourceKind): StoredResource[];
  list(kind: ResourceKind): StoredResource[] {
    return this.#sql
      .exec<ResourceRow>(`SELECT id, version, document FROM ${TABLE[kind]} ORDER BY id`)
      .toArray()
      .map(toResource);
  }

  put(kind: ResourceKind, resource: StoredResource, now: number): void {
    const { version, ...document } = resource;
    this.#sql.exec(
      `INSERT INTO ${TABLE[kind]} (id, version, document, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET version = excluded.version, document = excluded.document,
         updated_at = excluded.updated_at`,
      resource.id,
      version,
      JSON.stringify(document),
      now,
    );
  }

  delete(kind: ResourceKind, id: string): void {
    this.#sql.exec(`DELETE FROM ${TABLE[kind]} WHERE id = ?`, id);
  }

  /**
   * What the stored configuration holds, as the limits count it (worker/config/limits.ts): resources,
   * origins summed over pools, and the bytes of the stored documents.
   */
  totals(): ConfigTotals {
    const pools = this.#sql
      .exec<{ n: number; origins: number | null; bytes: number | null }>(
        `SELECT COUNT(*) AS n, SUM(json_array_length(document, '$.origins')) AS origins,
           SUM(LENGTH(CAST(document AS BLOB))) AS bytes FROM pools`,
      )
      .one();
    const lbs = this.#sql
      .exec<{ n: number; bytes: number | null }>(
        "SELECT COUNT(*) AS n, SUM(LENGTH(CAST(document AS BLOB))) AS bytes FROM load_balancers",
      )
      .one();
    return {
      pools: pools.n,
      loadBalancers: lbs.n,
      origins: pools.origins ?? 0,
      documentBytes: (pools.bytes ?? 0) + (lbs.bytes ?? 0),
    };
  }

  /** The version a deleted resource of this id last had; 0 when there was none. */
  retiredVersion(kind: ResourceKind, id: string): number {
    const rows = this.#sql
      .exec<{ version: number }>("SELECT version FROM retired_versions WHERE kind = ? AND id = ?", kind, id)
      .toArray();
    return rows[0]?.version ?? 0;
  }

  /** Remembers a deleted resource's last version, so its id never hands out a version twice. */
  retire(kind: ResourceKind, id: string, version: number): void {
    this.#sql.exec(
      `INSERT INTO retired_versions (kind, id, version) VALUES (?, ?, ?)
       ON CONFLICT (kind, id) DO UPDATE SET version = MAX(version, excluded.version)`,
      kind,
      id,
      version,
    );
    // Bounded: the oldest deletions are forgotten first (their ids would then count from 1 again).
    this.#sql.exec(
      `DELETE FROM retired_versions WHERE rowid <= (SELECT MAX(rowid) FROM retired_versions) - ?`,
      RETIRED_RETENTION,
    );
  }

  appendAudit(record: AuditRecord): void {
    this.#sql.exec(
      `INSERT INTO audit_log (at, action, kind, resource_id, version_from, version_to, config_version, via, change)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      record.at,
      record.action,
      record.kind,
      record.id,
      record.versionFrom,
      record.versionTo,
      record.configVersion,
      record.via,
      record.change,
    );
  }

  /** Drops the oldest entries beyond the retention. */
  trimAudit(): void {
    this.#sql.exec(
      "DELETE FROM audit_log WHERE seq <= (SELECT MAX(seq) FROM audit_log) - ?",
      AUDIT_RETENTION,
    );
  }

  /** The newest `limit` audit entries, newest first. */
  audit(limit: number): AuditEntry[] {
    return this.#sql
      .exec<AuditRow>(
        `SELECT at, action, kind, resource_id, version_from, version_to, config_version, via, change
         FROM audit_log ORDER BY seq DESC LIMIT ?`,
        limit,
      )
      .toArray()
      .map((row) => ({
        at: new Date(row.at).toISOString(),
        action: row.action as AuditAction,
        kind: row.kind as ResourceKind,
        id: row.resource_id,
        versionFrom: row.version_from,
        versionTo: row.version_to,
        configVersion: row.config_version,
        via: row.via as AuditEntry["via"],
        change: row.change,
      }));
  }

  /**
   * A secret generated once and kept: `generate()` makes it the first time `name` is asked for,
   * every later call returns the same value (also after restarts).
   */
  secret(name: string, generate: () => string, now: number): string {
    this.#sql.exec(
      "INSERT INTO secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
      name,
      generate(),
      now,
    );
    return this.#sql.exec<{ value: string }>("SELECT value FROM secrets WHERE name = ?", name).one().value;
  }

  /** Records that the pool's PoolState must hear of the change that produced `configVersion`. */
  enqueueNotification(poolId: string, configVersion: number, now: number): void {
    this.#sql.exec(
      `INSERT INTO pool_notifications (pool_id, config_version, attempts, next_attempt_at, last_error)
       VALUES (?, ?, 0, ?, NULL)
       ON CONFLICT (pool_id) DO UPDATE SET config_version = excluded.config_version, attempts = 0,
         next_attempt_at = excluded.next_attempt_at, last_error = NULL`,
      poolId,
      configVersion,
      now,
    );
  }

  /** Pending notifications, soonest first; only those due by `dueBy` when given. */
  pendingNotifications(dueBy?: number): PendingNotification[] {
    const rows =
      dueBy === undefined
        ? this.#sql.exec<PendingRow>("SELECT * FROM pool_notifications ORDER BY next_attempt_at, pool_id")
        : this.#sql.exec<PendingRow>(
            "SELECT * FROM pool_notifications WHERE next_attempt_at <= ? ORDER BY next_attempt_at, pool_id",
            dueBy,
          );
    return rows.toArray().map((row) => ({
      poolId: row.pool_id,
      configVersion: row.config_version,
      attempts: row.attempts,
      nextAttemptAt: new Date(row.next_attempt_at).toISOString(),
      lastError: row.last_error,
    }));
  }

  /** Clears a notification once delivered, unless a newer change was queued meanwhile. */
  completeNotification(poolId: string, configVersion: number): void {
    this.#sql.exec(
      "DELETE FROM pool_notifications WHERE pool_id = ? AND config_version <= ?",
      poolId,
      configVersion,
    );
  }

  /** Records a failed delivery and when to try again (only if no newer change replaced the row). */
  failNotification(poolId: string, configVersion: number, nextAttemptAt: number, error: string): void {
    this.#sql.exec(
      `UPDATE pool_notifications SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?
       WHERE pool_id = ? AND config_version = ?`,
      nextAttemptAt,
      error.slice(0, 500),
      poolId,
      configVersion,
    );
  }

  /** When the next pending notification is due (ms since the epoch), or null when none is pending. */
  nextNotificationAt(): number | null {
    return this.#sql
      .exec<{ next: number | null }>("SELECT MIN(next_attempt_at) AS next FROM pool_notifications")
      .one().next;
  }
}

function toResource(row: ResourceRow): StoredResource {
  return {
    ...(JSON.parse(row.document) as Omit<StoredResource, "version">),
    version: row.version,
  } as StoredResource;
}
