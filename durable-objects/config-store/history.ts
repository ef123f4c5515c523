/**
 * Configuration history: after every committed change the whole configuration document is kept as
 * it was then (`config_versions`, docs/storage.md), so `GET /config/versions/{version}` can show it
 * and `POST /config/rollback` can make it current again. The same row is the outbox of the
 * `config_changed` notification: `forwarded` stays 0 until the Notifier accepted the event.
 * Synchronous, so the ConfigStore writes the row inside the transaction of the change.
 */
import type { ConfigSnapshot } from "../../worker/config/schema.ts";
import type { ConfigTables } from "./sql.ts";
import type { AuditEntry } from "./types.ts";

/** Versions kept; older documents are dropped once the Notifier has heard of them. */
export const HISTORY_RETENTION = 100;
/** Even unforwarded rows are dropped beyond this many, so storage stays bounded. */
const HISTORY_HARD_LIMIT = 1000;
const SUMMARY_MAX = 1000;

export const HISTORY_SCHEMA = `
CREATE TABLE IF NOT EXISTS config_versions (
  version INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  role TEXT NOT NULL,
  summary TEXT NOT NULL,
  document TEXT NOT NULL,
  event_id TEXT NOT NULL,
  forwarded INTEGER NOT NULL DEFAULT 0
);
`;

/** One entry of `GET /config/versions`. */
export interface ConfigVersionEntry {
  version: number;
  /** ISO 8601. */
  at: string;
  /** The role of the token that made the change, e.g. "admin". */
  role: string;
  summary: string;
}

/** A `config_changed` event not yet handed to the Notifier. */
export interface PendingConfigEvent {
  id: string;
  version: number;
  at: number;
  summary: string;
}

type VersionRow = { version: number; at: number; role: string; summary: string };

/** Typed access to `config_versions`. */
export class HistoryTables {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /** Records the document of a new version (inside the write's transaction) and trims old ones. */
  record(snapshot: ConfigSnapshot, at: number, role: string, summary: string): void {
    this.#sql.exec(
      `INSERT OR REPLACE INTO config_versions (version, at, role, summary, document, event_id, forwarded)
       VALUES (?, ?, ?, ?, ?, ?, 0)`,
      snapshot.version,
      at,
      role,
      summary,
      JSON.stringify(documentOf(snapshot)),
      `config-${snapshot.version}-${crypto.randomUUID()}`,
    );
    this.#sql.exec(
      `DELETE FROM config_versions WHERE version <= ? AND (forwarded = 1 OR version <= ?)`,
      snapshot.version - HISTORY_RETENTION,
      snapshot.version - HISTORY_HARD_LIMIT,
    );
  }

  /** The newest `limit` versions, newest first. */
  list(limit: number): ConfigVersionEntry[] {
    return this.#sql
      .exec<VersionRow>(
        "SELECT version, at, role, summary FROM config_versions ORDER BY version DESC LIMIT ?",
        limit,
      )
      .toArray()
      .map((row) => ({
        version: row.version,
        at: new Date(row.at).toISOString(),
        role: row.role,
        summary: row.summary,
      }));
  }

  /** The document as it was after `version` (`{ version, pools, loadBalancers }`), or null. */
  document(version: number): string | null {
    const rows = this.#sql
      .exec<{ document: string }>("SELECT document FROM config_versions WHERE version = ?", version)
      .toArray();
    return rows[0]?.document ?? null;
  }

  /** The `config_changed` events the Notifier has not yet accepted, oldest first. */
  pendingEvents(limit = 50): PendingConfigEvent[] {
    return this.#sql
      .exec<{ event_id: string; version: number; at: number; summary: string }>(
        `SELECT event_id, version, at, summary FROM config_versions WHERE forwarded = 0
         ORDER BY version LIMIT ?`,
        limit,
      )
      .toArray()
      .map((row) => ({ id: row.event_id, version: row.version, at: row.at, summary: row.summary }));
  }

  /** Marks events as accepted by the Notifier. */
  markForwarded(versions: readonly number[]): void {
    for (const version of versions) {
      this.#sql.exec("UPDATE config_versions SET forwarded = 1 WHERE version = ?", version);
    }
  }
}

/** The configuration document of a snapshot, exactly as `GET /config` shows it. */
export function documentOf(snapshot: ConfigSnapshot): {
  version: number;
  pools: ConfigSnapshot["pools"];
  loadBalancers: ConfigSnapshot["loadBalancers"];
} {
  return { version: snapshot.version, pools: snapshot.pools, loadBalancers: snapshot.loadBalancers };
}

/**
 * What a version changed, from its audit entries, e.g.
 * `pool "web": changed origins[1].weight; load balancer "app": created for app.example.com/ -> web`.
 */
export function summarize(tables: ConfigTables, version: number, prefix = ""): string {
  const entries: AuditEntry[] = [];
  for (const entry of tables.audit(64)) {
    if (entry.configVersion === version) entries.push(entry);
    else if (entry.configVersion < version) break;
  }
  const parts = entries
    .reverse()
    .map((entry) => `${entry.kind === "pool" ? "pool" : "load balancer"} "${entry.id}": ${entry.change}`);
  const text = prefix + (parts.length > 0 ? parts.join("; ") : "no resource changed");
  return text.length > SUMMARY_MAX ? `${text.slice(0, SUMMARY_MAX - 1)}…` : text;
}
