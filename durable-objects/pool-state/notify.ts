/**
 * Hands this pool's health transitions to the Notifier, at least once. The PoolState records each
 * transition exactly once (however many isolates reported the failures), so it is the one object
 * that may announce it. Each notifiable event gets a stable id when it is recorded, in a small
 * outbox table (`notify_outbox`, docs/storage.md); it leaves the table only once the Notifier has
 * accepted it, and the Notifier ignores an id it has seen, so a repeated hand-over is harmless.
 * Handing over never blocks health checking or reports: it runs after them, and a failure retries
 * a few seconds later.
 */
import type { HealthEvent } from "../../worker/health/types.ts";
import { withTimeout } from "../../worker/http/timeout.ts";
import type { NotifierEvent } from "../notifier/types.ts";

const NOTIFIABLE = new Set([
  "origin_unhealthy",
  "origin_healthy",
  "origin_ejected",
  "pool_unhealthy",
  "pool_healthy",
]);
/** How long the Notifier may take to accept a batch. */
const HANDOVER_TIMEOUT_MS = 5000;
const RETRY_MS = 5000;
const BATCH = 100;
/** Unforwarded events kept at most (oldest dropped), so a long outage cannot grow storage. */
const MAX_PENDING = 1000;

const SCHEMA = `CREATE TABLE IF NOT EXISTS notify_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL)`;

export class EventForwarder {
  readonly #sql: SqlStorage;
  readonly #send: (events: NotifierEvent[]) => Promise<void>;
  #pending: boolean;
  #busy = false;
  #retry: ReturnType<typeof setTimeout> | undefined;

  constructor(sql: SqlStorage, send: (events: NotifierEvent[]) => Promise<void>) {
    this.#sql = sql;
    this.#send = send;
    this.#pending =
      sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'notify_outbox'").toArray()
        .length > 0;
  }

  /** Records the notifiable events among `events`; true when there is anything to hand over. */
  record(events: readonly HealthEvent[]): boolean {
    const wanted = events.filter((event) => NOTIFIABLE.has(event.kind));
    if (wanted.length > 0) {
      this.#sql.exec(SCHEMA);
      for (const event of wanted) {
        this.#sql.exec(
          "INSERT INTO notify_outbox (event) VALUES (?)",
          JSON.stringify(toNotifierEvent(event)),
        );
      }
      this.#sql.exec(
        "DELETE FROM notify_outbox WHERE seq <= (SELECT MAX(seq) FROM notify_outbox) - ?",
        MAX_PENDING,
      );
      this.#pending = true;
    }
    return this.#pending;
  }

  /** Hands over everything recorded, oldest first, one batch at a time. */
  async flush(): Promise<void> {
    if (this.#busy || !this.#pending) return;
    this.#busy = true;
    try {
      for (;;) {
        const rows = this.#rows();
        if (rows.length === 0) {
          this.#pending = false;
          return;
        }
        await withTimeout(
          this.#send(rows.map((row) => JSON.parse(row.event) as NotifierEvent)),
          HANDOVER_TIMEOUT_MS,
        );
        const last = rows[rows.length - 1]?.seq ?? 0;
        this.#sql.exec("DELETE FROM notify_outbox WHERE seq <= ?", last);
      }
    } catch (error) {
      console.log(JSON.stringify({ event: "notification_handover_failed", error: String(error) }));
      clearTimeout(this.#retry);
      this.#retry = setTimeout(() => void this.flush(), RETRY_MS);
    } finally {
      this.#busy = false;
    }
  }

  #rows(): { seq: number; event: string }[] {
    const exists = this.#sql
      .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'notify_outbox'")
      .toArray().length;
    if (!exists) return [];
    return this.#sql
      .exec<{ seq: number; event: string }>(
        "SELECT seq, event FROM notify_outbox ORDER BY seq LIMIT ?",
        BATCH,
      )
      .toArray();
  }
}

/** A health event as the Notifier takes it, with a new stable id. */
export function toNotifierEvent(event: HealthEvent): NotifierEvent {
  return {
    id: `${event.pool}-${crypto.randomUUID()}`,
    type: event.kind,
    at: new Date(event.at).toISOString(),
    pool: event.pool,
    ...(event.origin ? { origin: event.origin } : {}),
    message: event.message,
  };
}
