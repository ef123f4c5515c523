/**
 * The one Notifier DO (named "global"): the notification resources, and the durable outbox that
 * delivers events to them at least once. Events come from the objects that own the transitions:
 * each PoolState (origin and pool health), the ConfigStore (config_changed); `failover` is derived
 * here from the pool transitions (./failover.ts). An event is accepted once per id, fanned out to
 * one outbox row per notification that wants it, in one transaction, and delivered from there:
 * each delivery on its own, so a slow or dead receiver delays neither another receiver nor the
 * objects that hand events over (they never wait for a receiver). Failed deliveries are retried with
 * backoff for 24 h; the alarm picks up whatever is due.
 */
import { applyMergePatch, isJsonObject } from "../../worker/config/merge-patch.ts";
import {
  type Notification,
  type NotificationSpec,
  parseNotification,
  wantsEvent,
} from "../../worker/config/notification.ts";
import type { Env } from "../../worker/env.ts";
import { type IfMatch, ifMatchHolds } from "../../worker/http/preconditions.ts";
import { problemType } from "../../worker/http/problem.ts";
import { fail, type StoreResult } from "../config-store/types.ts";
import { attemptDelivery, DELIVERY_TIMEOUT_MS, RETRY_WINDOW_MS, retryDelayMs } from "./deliver.ts";
import { failoversOf } from "./failover.ts";
import { NotifierTables, type OutboxRow } from "./sql.ts";
import type { DeliveryAttempt, NotifierEvent, PendingDelivery } from "./types.ts";

/** Deliveries in flight at once, in all and per notification. */
const MAX_IN_FLIGHT = 50;
const MAX_IN_FLIGHT_PER_NOTIFICATION = 5;
/** A delivery in flight holds its row this long, so a restarted object retries it only afterwards. */
const LEASE_MS = DELIVERY_TIMEOUT_MS + 5000;
const MAX_EVENTS_PER_CALL = 500;

type Write = StoreResult<{ resource: Notification; changed: boolean }>;

export class NotifierCore {
  readonly ctx: DurableObjectState;
  readonly env: Env;
  readonly #tables: NotifierTables;
  readonly #inFlight = new Map<string, Promise<void>>();

  constructor(ctx: DurableObjectState, env: Env) {
    this.ctx = ctx;
    this.env = env;
    this.#tables = new NotifierTables(ctx.storage.sql);
    void ctx.blockConcurrencyWhile(async () => this.#tables.migrate());
  }

  async list(): Promise<Notification[]> {
    return this.#tables.list();
  }

  async get(id: string): Promise<StoreResult<{ resource: Notification }>> {
    const resource = this.#tables.get(id);
    return resource ? { ok: true, resource } : notFound(id);
  }

  async create(input: unknown): Promise<Write> {
    const parsed = parseNotification(input);
    if (!parsed.ok) return invalid(parsed.errors);
    if (this.#tables.get(parsed.value.id)) {
      return fail(409, `A notification with id "${parsed.value.id}" already exists.`, {
        type: problemType("already-exists"),
      });
    }
    return this.#store(parsed.value, null);
  }

  async replace(id: string, input: unknown, ifMatch?: IfMatch): Promise<Write> {
    const current = this.#existing(id, ifMatch);
    if (!current.ok) return current;
    if (isJsonObject(input) && Object.hasOwn(input, "id") && input.id !== id) {
      return invalid([{ path: "id", message: `must equal the id in the path ("${id}") or be left out` }]);
    }
    const parsed = parseNotification(isJsonObject(input) ? { ...input, id } : input);
    if (!parsed.ok) return invalid(parsed.errors);
    return this.#store(parsed.value, current.resource);
  }

  async patch(id: string, patch: unknown, ifMatch?: IfMatch): Promise<Write> {
    const current = this.#existing(id, ifMatch);
    if (!current.ok) return current;
    if (isJsonObject(patch) && Object.hasOwn(patch, "id") && patch.id !== id) {
      return invalid([{ path: "id", message: "is immutable; a patch cannot change or remove it" }]);
    }
    const { version: _version, ...stored } = current.resource;
    const parsed = parseNotification(applyMergePatch(stored, patch));
    if (!parsed.ok) return invalid(parsed.errors);
    return this.#store(parsed.value, current.resource);
  }

  async remove(id: string, ifMatch?: IfMatch): Promise<StoreResult<{ id: string }>> {
    const current = this.#existing(id, ifMatch);
    if (!current.ok) return current;
    this.ctx.storage.transactionSync(() => this.#tables.delete(id, current.resource.version));
    return { ok: true, id };
  }

  /** Recent delivery attempts of a notification, newest first, and the deliveries still pending. */
  async deliveries(
    id: string,
    limit: number,
  ): Promise<StoreResult<{ items: DeliveryAttempt[]; pending: PendingDelivery[] }>> {
    if (!this.#tables.get(id)) return notFound(id);
    const bounded = Number.isInteger(limit) ? Math.min(Math.max(limit, 1), 100) : 100;
    return {
      ok: true,
      items: this.#tables.attempts(id, bounded),
      pending: this.#tables.pending(id, bounded),
    };
  }

  /** Sends an event of type `test` at once (enabled or not) and reports the receiver's answer. */
  async sendTest(id: string): Promise<StoreResult<{ eventId: string; delivered: boolean } & DeliveryResult>> {
    const notification = this.#tables.get(id);
    if (!notification) return notFound(id);
    const event: NotifierEvent = {
      id: `test-${crypto.randomUUID()}`,
      type: "test",
      at: new Date().toISOString(),
      message: `Test notification "${id}" from Edge LB.`,
    };
    const result = await attemptDelivery(notification, event);
    const delivered = result.error === null;
    this.#tables.recordAttempt(id, {
      eventId: event.id,
      type: "test",
      at: Date.now(),
      attempt: 1,
      ...result,
      outcome: delivered ? "delivered" : "failed",
    });
    return { ok: true, eventId: event.id, delivered, ...result };
  }

  /**
   * Accepts events from the objects that own the transitions. Idempotent per event id: handing the
   * same event over again (after a lost answer) changes nothing. Returns once they are stored;
   * delivery happens afterwards.
   */
  async emit(events: NotifierEvent[]): Promise<void> {
    const batch = events.slice(0, MAX_EVENTS_PER_CALL);
    const transitions = batch.filter(
      (event) => event.type === "pool_healthy" || event.type === "pool_unhealthy",
    );
    const notifications = this.#tables.list();
    const wantFailover = notifications.some((n) => wantsEvent(n, "failover"));
    const config =
      transitions.length > 0 && wantFailover
        ? await this.env.CONFIG_STORE.getByName("global").snapshot()
        : null;
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      for (const event of batch) {
        if (!this.#tables.markSeen(event.id, now)) continue;
        const derived: NotifierEvent[] = [];
        if (event.pool && (event.type === "pool_healthy" || event.type === "pool_unhealthy")) {
          if (config) derived.push(...failoversOf(config, this.#tables.verdicts(), event));
          this.#tables.setVerdict(event.pool, event.type === "pool_healthy");
        }
        for (const item of [event, ...derived]) {
          for (const notification of notifications) {
            if (wantsEvent(notification, item.type)) this.#tables.enqueue(notification.id, item, now);
          }
        }
      }
    });
    this.#pump();
    await this.#arm();
  }

  async alarm(): Promise<void> {
    this.#pump();
    await this.#arm();
  }

  /** Starts every due delivery that is not already in flight, within the limits. */
  #pump(): void {
    const now = Date.now();
    const perNotification = new Map<string, number>();
    for (const key of this.#inFlight.keys()) {
      const id = key.slice(0, key.indexOf("\n"));
      perNotification.set(id, (perNotification.get(id) ?? 0) + 1);
    }
    for (const row of this.#tables.due(now, MAX_IN_FLIGHT * 2)) {
      if (this.#inFlight.size >= MAX_IN_FLIGHT) break;
      const key = `${row.notificationId}\n${row.eventId}`;
      const count = perNotification.get(row.notificationId) ?? 0;
      if (this.#inFlight.has(key) || count >= MAX_IN_FLIGHT_PER_NOTIFICATION) continue;
      perNotification.set(row.notificationId, count + 1);
      this.#tables.postpone(row, now + LEASE_MS);
      const delivery = this.#deliver(row).finally(() => {
        this.#inFlight.delete(key);
        this.#pump();
        void this.#arm();
      });
      this.#inFlight.set(key, delivery);
      this.ctx.waitUntil(delivery);
    }
  }

  async #deliver(row: OutboxRow): Promise<void> {
    const notification = this.#tables.get(row.notificationId);
    if (!notification) return;
    if (!notification.enabled) {
      // Turned off since the event was queued: it is not sent.
      this.#tables.complete(row);
      return;
    }
    const event = JSON.parse(row.body) as NotifierEvent;
    const result = await attemptDelivery(notification, event);
    const attempt = row.attempts + 1;
    const now = Date.now();
    // Deleted or changed meanwhile: its outbox row went with it, or still applies to the new URL.
    if (!this.#tables.get(row.notificationId)) return;
    let outcome: DeliveryAttempt["outcome"] = "delivered";
    if (result.error === null) this.#tables.complete(row);
    else if (now - row.createdAt + retryDelayMs(attempt) > RETRY_WINDOW_MS) {
      outcome = "failed";
      this.#tables.complete(row);
    } else {
      outcome = "retrying";
      this.#tables.postpone(row, now + retryDelayMs(attempt), attempt);
    }
    this.#tables.recordAttempt(row.notificationId, {
      eventId: row.eventId,
      type: row.type,
      at: now,
      attempt,
      ...result,
      outcome,
    });
    if (outcome !== "delivered") {
      console.log(
        JSON.stringify({
          event: "notification_delivery_failed",
          notification: row.notificationId,
          eventId: row.eventId,
          type: row.type,
          attempt,
          status: result.status,
          error: result.error,
          outcome,
        }),
      );
    }
  }

  async #arm(): Promise<void> {
    const next = this.#tables.nextDueAt();
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(next, Date.now() + 50));
  }

  #existing(id: string, ifMatch: IfMatch | undefined): StoreResult<{ resource: Notification }> {
    const resource = this.#tables.get(id);
    if (!resource) return notFound(id);
    if (!ifMatchHolds(ifMatch, resource.version)) {
      return fail(
        412,
        `If-Match does not match the current version of notification "${id}" ("${resource.version}"); nothing was changed.`,
        { currentVersion: resource.version },
      );
    }
    return { ok: true, resource };
  }

  #store(spec: NotificationSpec, previous: Notification | null): Write {
    if (previous) {
      const { version: _version, ...stored } = previous;
      if (JSON.stringify(stored) === JSON.stringify(spec))
        return { ok: true, resource: previous, changed: false };
    }
    const version = (previous?.version ?? this.#tables.retiredVersion(spec.id)) + 1;
    const resource: Notification = { ...spec, version };
    this.#tables.put(resource, Date.now());
    return { ok: true, resource, changed: true };
  }
}

interface DeliveryResult {
  status: number | null;
  error: string | null;
}

function notFound(id: string) {
  return fail(404, `No notification with id "${id}".`);
}

function invalid(errors: { path: string; message: string }[]) {
  const count = errors.length;
  return fail(400, `The request has ${count} invalid field${count === 1 ? "" : "s"}; see errors.`, {
    type: problemType("validation"),
    title: "Validation failed",
    errors,
  });
}
