/**
 * The Notifier's SQLite tables (docs/storage.md): the notification resources, the events already
 * accepted (so a re-sent event is not delivered twice), the outbox of deliveries still to make, the
 * log of recent attempts, and the last pool verdicts that failover is derived from. Synchronous.
 */
import type { Notification } from "../../worker/config/notification.ts";
import type { DeliveryAttempt, NotifierEvent, PendingDelivery } from "./types.ts";

/** Accepted event ids remembered for deduplication. */
const SEEN_RETENTION = 5000;
/** Delivery attempts kept per notification. */
export const ATTEMPTS_KEPT = 100;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS notifications (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  document TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS retired_notifications (id TEXT PRIMARY KEY, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS seen_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL UNIQUE,
  at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  notification_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  PRIMARY KEY (notification_id, event_id)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at);
CREATE TABLE IF NOT EXISTS attempts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  notification_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  status INTEGER,
  error TEXT,
  outcome TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_by_notification ON attempts (notification_id, seq);
CREATE TABLE IF NOT EXISTS pool_verdicts (pool TEXT PRIMARY KEY, healthy INTEGER NOT NULL);
`;

/** A row of the outbox: one event still to deliver to one notification. */
export interface OutboxRow {
  notificationId: string;
  eventId: string;
  type: string;
  body: string;
  createdAt: number;
  attempts: number;
}

type OutboxSql = {
  notification_id: string;
  event_id: string;
  type: string;
  body: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
};

export class NotifierTables {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  migrate(): void {
    this.#sql.exec(SCHEMA);
  }

  list(): Notification[] {
    return this.#sql
      .exec<{ version: number; document: string }>("SELECT version, document FROM notifications ORDER BY id")
      .toArray()
      .map((row) => ({
        ...(JSON.parse(row.document) as Omit<Notification, "version">),
        version: row.version,
      }));
  }

  get(id: string): Notification | null {
    const row = this.#sql
      .exec<{ version: number; document: string }>(
        "SELECT version, document FROM notifications WHERE id = ?",
        id,
      )
      .toArray()[0];
    return row
      ? { ...(JSON.parse(row.document) as Omit<Notification, "version">), version: row.version }
      : null;
  }

  put(notification: Notification, now: number): void {
    const { version, ...document } = notification;
    this.#sql.exec(
      `INSERT INTO notifications (id, version, document, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET version = excluded.version, document = excluded.document,
         updated_at = excluded.updated_at`,
      notification.id,
      version,
      JSON.stringify(document),
      now,
    );
  }

  /** Deletes a notification with its pending deliveries and attempt log. */
  delete(id: string, version: number): void {
    this.#sql.exec("DELETE FROM notifications WHERE id = ?", id);
    this.#sql.exec("DELETE FROM outbox WHERE notification_id = ?", id);
    this.#sql.exec("DELETE FROM attempts WHERE notification_id = ?", id);
    this.#sql.exec(
      `INSERT INTO retired_notifications (id, version) VALUES (?, ?)
       ON CONFLICT (id) DO UPDATE SET version = MAX(version, excluded.version)`,
      id,
      version,
    );
  }

  retiredVersion(id: string): number {
    return (
      this.#sql
        .exec<{ version: number }>("SELECT version FROM retired_notifications WHERE id = ?", id)
        .toArray()[0]?.version ?? 0
    );
  }

  /** Records an event id; false when it was accepted before (a repeated hand-over). */
  markSeen(eventId: string, now: number): boolean {
    const cursor = this.#sql.exec(
      "INSERT OR IGNORE INTO seen_events (event_id, at) VALUES (?, ?)",
      eventId,
      now,
    );
    if (cursor.rowsWritten === 0) return false;
    this.#sql.exec(
      "DELETE FROM seen_events WHERE seq <= (SELECT MAX(seq) FROM seen_events) - ?",
      SEEN_RETENTION,
    );
    return true;
  }

  enqueue(notificationId: string, event: NotifierEvent, now: number): void {
    this.#sql.exec(
      `INSERT OR IGNORE INTO outbox (notification_id, event_id, type, body, created_at, attempts, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, 0, ?)`,
      notificationId,
      event.id,
      event.type,
      JSON.stringify(event),
      now,
      now,
    );
  }

  /** Due deliveries, soonest first. */
  due(now: number, limit: number): OutboxRow[] {
    return this.#sql
      .exec<OutboxSql>(
        "SELECT * FROM outbox WHERE next_attempt_at <= ? ORDER BY next_attempt_at, created_at LIMIT ?",
        now,
        limit,
      )
      .toArray()
      .map((row) => ({
        notificationId: row.notification_id,
        eventId: row.event_id,
        type: row.type,
        body: row.body,
        createdAt: row.created_at,
        attempts: row.attempts,
      }));
  }

  /** Postpones a delivery (a lease while it is in flight, or the backoff after a failure). */
  postpone(row: OutboxRow, until: number, attempts = row.attempts): void {
    this.#sql.exec(
      "UPDATE outbox SET next_attempt_at = ?, attempts = ? WHERE notification_id = ? AND event_id = ?",
      until,
      attempts,
      row.notificationId,
      row.eventId,
    );
  }

  complete(row: OutboxRow): void {
    this.#sql.exec(
      "DELETE FROM outbox WHERE notification_id = ? AND event_id = ?",
      row.notificationId,
      row.eventId,
    );
  }

  nextDueAt(): number | null {
    return this.#sql.exec<{ next: number | null }>("SELECT MIN(next_attempt_at) AS next FROM outbox").one()
      .next;
  }

  pending(notificationId: string, limit: number): PendingDelivery[] {
    return this.#sql
      .exec<OutboxSql>(
        "SELECT * FROM outbox WHERE notification_id = ? ORDER BY created_at LIMIT ?",
        notificationId,
        limit,
      )
      .toArray()
      .map((row) => ({
        eventId: row.event_id,
        type: row.type,
        attempts: row.attempts,
        nextAttemptAt: new Date(row.next_attempt_at).toISOString(),
      }));
  }

  recordAttempt(notificationId: string, attempt: Omit<DeliveryAttempt, "at"> & { at: number }): void {
    this.#sql.exec(
      `INSERT INTO attempts (notification_id, event_id, type, at, attempt, status, error, outcome)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      notificationId,
      attempt.eventId,
      attempt.type,
      attempt.at,
      attempt.attempt,
      attempt.status,
      attempt.error,
      attempt.outcome,
    );
    this.#sql.exec(
      `DELETE FROM attempts WHERE notification_id = ? AND seq <= (
         SELECT seq FROM attempts WHERE notification_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
      notificationId,
      notificationId,
      ATTEMPTS_KEPT,
    );
  }

  attempts(notificationId: string, limit: number): DeliveryAttempt[] {
    return this.#sql
      .exec<{
        event_id: string;
        type: string;
        at: number;
        attempt: number;
        status: number | null;
        error: string | null;
        outcome: DeliveryAttempt["outcome"];
      }>(
        `SELECT event_id, type, at, attempt, status, error, outcome FROM attempts
         WHERE notification_id = ? ORDER BY seq DESC LIMIT ?`,
        notificationId,
        limit,
      )
      .toArray()
      .map((row) => ({
        eventId: row.event_id,
        type: row.type,
        at: new Date(row.at).toISOString(),
        attempt: row.attempt,
        status: row.status,
        error: row.error,
        outcome: row.outcome,
      }));
  }

  /** The last pool verdicts seen, per pool id. */
  verdicts(): Map<string, boolean> {
    const rows = this.#sql.exec<{ pool: string; healthy: number }>("SELECT pool, healthy FROM pool_verdicts");
    return new Map(rows.toArray().map((row) => [row.pool, row.healthy === 1]));
  }

  setVerdict(pool: string, healthy: boolean): void {
    this.#sql.exec(
      `INSERT INTO pool_verdicts (pool, healthy) VALUES (?, ?)
       ON CONFLICT (pool) DO UPDATE SET healthy = excluded.healthy`,
      pool,
      healthy ? 1 : 0,
    );
  }
}
