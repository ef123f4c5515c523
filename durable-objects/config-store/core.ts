/**
 * The one ConfigStore DO (named "global"): pools, load balancers, the global configuration version,
 * the audit log and the queue of PoolState notifications, all in SQLite (docs/storage.md).
 *
 * Every write runs in one `transactionSync`, so it lands whole or not at all. Expected failures come
 * back as `{ ok: false, problem }`; nothing expected is thrown across RPC. The edge polls
 * `snapshot()` every couple of seconds per isolate, so the unchanged answer is a comparison with a
 * version held in memory.
 */
import { KIND_LABEL, type ResourceKind } from "../../worker/config/resources.ts";
import type { ConfigSnapshot } from "../../worker/config/schema.ts";
import type { Env } from "../../worker/env.ts";
import type { IfMatch } from "../../worker/http/preconditions.ts";
import type { NotifierEvent } from "../notifier/types.ts";
import { announceVersion } from "./announce.ts";
import {
  type ConfigVersionEntry,
  HISTORY_SCHEMA,
  HistoryTables,
  type PendingConfigEvent,
  summarize,
} from "./history.ts";
import { logConfigChanges } from "./log.ts";
import { deliverNotifications } from "./notify.ts";
import { ConfigTables, migrate } from "./sql.ts";
import type {
  AuditEntry,
  ConfigReplace,
  PendingNotification,
  ResourceDelete,
  ResourceWrite,
  StoredResource,
  StoreEvent,
  StoreResult,
} from "./types.ts";
import { fail } from "./types.ts";
import {
  createResource,
  deleteResource,
  patchResource,
  replaceConfig,
  replaceResource,
  type WriteContext,
} from "./writes.ts";

/** A first retry for notifications that an interrupted write leaves behind. */
const SAFETY_ALARM_MS = 10_000;
/** A write that changes more pools than this leaves their notifications to the alarm, so it answers fast. */
const INLINE_NOTIFICATIONS = 20;
const MAX_LIST = 1000;
/** How soon a failed hand-over of config_changed events to the Notifier is retried. */
const FORWARD_RETRY_MS = 5000;
/** The role recorded for a change when the caller names none. */
const DEFAULT_ROLE = "admin";
const AFFINITY_KEY = "affinity_cookie_key";

export class ConfigStoreCore {
  readonly ctx: DurableObjectState;
  readonly env: Env;
  readonly #tables: ConfigTables;
  readonly #history: HistoryTables;
  #version = 0;
  #forwarding = false;
  #snapshot: ConfigSnapshot | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    this.ctx = ctx;
    this.env = env;
    this.#tables = new ConfigTables(ctx.storage.sql);
    this.#history = new HistoryTables(ctx.storage.sql);
    void ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage.sql);
      ctx.storage.sql.exec(HISTORY_SCHEMA);
      this.#version = this.#tables.version();
    });
  }

  /** The whole configuration, or null when `knownVersion` is already the current version. */
  async snapshot(knownVersion?: number): Promise<ConfigSnapshot | null> {
    if (knownVersion === this.#version) return null;
    return this.#currentSnapshot();
  }

  /** One resource, or a 404 problem. */
  async getResource(kind: ResourceKind, id: string): Promise<StoreResult<{ resource: StoredResource }>> {
    const resource = this.#tables.get(kind, id);
    if (!resource) return fail(404, `No ${KIND_LABEL[kind]} with id "${id}".`);
    return { ok: true, resource };
  }

  /** Every resource of a kind, sorted by id, with the configuration version they belong to. */
  async listResources(kind: ResourceKind): Promise<{ version: number; items: StoredResource[] }> {
    const snapshot = this.#currentSnapshot();
    return { version: snapshot.version, items: kind === "pool" ? snapshot.pools : snapshot.loadBalancers };
  }

  /** Creates a resource (409 when the id exists). */
  async createResource(
    kind: ResourceKind,
    input: unknown,
    role = DEFAULT_ROLE,
  ): Promise<StoreResult<ResourceWrite>> {
    return this.#writeResource(kind, role, (w) => createResource(w, kind, input));
  }

  /** Replaces a resource; missing optional fields take their defaults. */
  async replaceResource(
    kind: ResourceKind,
    id: string,
    input: unknown,
    ifMatch?: IfMatch,
    role = DEFAULT_ROLE,
  ): Promise<StoreResult<ResourceWrite>> {
    return this.#writeResource(kind, role, (w) => replaceResource(w, kind, id, input, ifMatch));
  }

  /** Applies a JSON merge patch to a resource and validates the result in full. */
  async patchResource(
    kind: ResourceKind,
    id: string,
    patch: unknown,
    ifMatch?: IfMatch,
    role = DEFAULT_ROLE,
  ): Promise<StoreResult<ResourceWrite>> {
    return this.#writeResource(kind, role, (w) => patchResource(w, kind, id, patch, ifMatch));
  }

  /** Deletes a resource (409 for a pool that load balancers name). */
  async deleteResource(
    kind: ResourceKind,
    id: string,
    ifMatch?: IfMatch,
    role = DEFAULT_ROLE,
  ): Promise<StoreResult<ResourceDelete>> {
    const result = this.#transaction(role, (w) => deleteResource(w, kind, id, ifMatch));
    if (!result.ok) return result;
    await this.#afterCommit(kind === "pool" ? [id] : []);
    return { ok: true, id: result.id, snapshot: this.#currentSnapshot() };
  }

  /** Replaces pools and load balancers at once (all or nothing), or reports what that would change. */
  async replaceConfig(
    input: unknown,
    ifMatch?: IfMatch,
    dryRun = false,
    role = DEFAULT_ROLE,
  ): Promise<StoreResult<ConfigReplace>> {
    return this.#replace(input, ifMatch, dryRun, role);
  }

  /**
   * Makes the configuration equal to the document of an earlier `version`, as a new version, through
   * the same validation and transaction as `replaceConfig` (404 when that version is not kept).
   */
  async rollback(
    version: number,
    ifMatch?: IfMatch,
    dryRun = false,
    role = DEFAULT_ROLE,
  ): Promise<StoreResult<ConfigReplace & { rolledBackTo: number }>> {
    const document = Number.isSafeInteger(version) ? this.#history.document(version) : null;
    if (document === null) {
      return fail(404, `No configuration version ${version} is kept; GET /config/versions lists them.`);
    }
    const result = await this.#replace(
      JSON.parse(document),
      ifMatch,
      dryRun,
      role,
      `rollback to version ${version}: `,
    );
    return result.ok ? { ...result, rolledBackTo: version } : result;
  }

  /** The newest `limit` configuration versions, newest first. */
  async versions(limit: number): Promise<ConfigVersionEntry[]> {
    return this.#history.list(clampLimit(limit));
  }

  /** The whole configuration document (JSON text) as it was after `version`, or null when not kept. */
  async versionDocument(version: number): Promise<string | null> {
    return Number.isSafeInteger(version) ? this.#history.document(version) : null;
  }

  async #replace(
    input: unknown,
    ifMatch: IfMatch | undefined,
    dryRun: boolean,
    role: string,
    summaryPrefix = "",
  ): Promise<StoreResult<ConfigReplace>> {
    const result = this.#transaction(role, (w) => replaceConfig(w, input, ifMatch, dryRun), summaryPrefix);
    if (!result.ok) return result;
    const { pools } = result.changes;
    const notified = [...pools.created, ...pools.updated, ...pools.deleted];
    if (!dryRun && notified.length > 0) await this.#afterCommit(notified);
    return { ...result, snapshot: dryRun ? null : this.#currentSnapshot() };
  }

  /** The newest audit entries, newest first. */
  async audit(limit: number): Promise<AuditEntry[]> {
    return this.#tables.audit(clampLimit(limit));
  }

  /** Configuration changes as events, newest first, in the shape PoolState uses for its own. */
  async events(limit: number): Promise<StoreEvent[]> {
    return this.#tables.audit(clampLimit(limit)).map((entry) => ({
      at: Date.parse(entry.at),
      kind: "config_change",
      subject: `${entry.kind === "pool" ? "pool" : "load_balancer"}/${entry.id}`,
      message: describeAudit(entry),
    }));
  }

  /**
   * The key that signs session-affinity cookies when `AFFINITY_SECRET` is not set: 32 random bytes
   * (base64url), generated on first use and kept in storage, so it survives restarts and has nothing
   * to do with any credential (rotating ADMIN_TOKEN leaves every session pinned). Only the Worker
   * calls this; it is never part of a snapshot or an API answer.
   */
  async affinityKey(): Promise<string> {
    return this.ctx.storage.transactionSync(() => this.#tables.secret(AFFINITY_KEY, randomKey, Date.now()));
  }

  /** Pool changes that their PoolState has not yet confirmed (normally empty). */
  async pendingNotifications(): Promise<PendingNotification[]> {
    return this.#tables.pendingNotifications();
  }

  /** Retries the notifications that are due; re-arms itself while any remain. */
  async alarm(): Promise<void> {
    await this.#forwardConfigEvents();
    await this.#deliver();
  }

  /**
   * Hands the `config_changed` events of new versions to the Notifier (at least once: a version's
   * history row stays unforwarded until the Notifier accepted it; the alarm retries).
   */
  async #forwardConfigEvents(): Promise<void> {
    if (this.#forwarding) return;
    this.#forwarding = true;
    try {
      for (;;) {
        const pending = this.#history.pendingEvents();
        if (pending.length === 0) return;
        await this.env.NOTIFIER.getByName("global").emit(pending.map(configChangedEvent));
        this.#history.markForwarded(pending.map((event) => event.version));
      }
    } catch (error) {
      console.log(JSON.stringify({ event: "config_event_forward_failed", error: String(error) }));
      const alarm = await this.ctx.storage.getAlarm();
      const retryAt = Date.now() + FORWARD_RETRY_MS;
      if (alarm === null || alarm > retryAt) await this.ctx.storage.setAlarm(retryAt);
    } finally {
      this.#forwarding = false;
    }
  }

  async #writeResource(
    kind: ResourceKind,
    role: string,
    change: (w: WriteContext) => StoreResult<{ resource: StoredResource; changed: boolean }>,
  ): Promise<StoreResult<ResourceWrite>> {
    const result = this.#transaction(role, change);
    if (!result.ok) return result;
    const { resource, changed } = result;
    if (changed && kind === "pool") await this.#afterCommit([resource.id]);
    return { ok: true, resource, changed, snapshot: this.#currentSnapshot() };
  }

  /**
   * Runs a write in one transaction; a write that produced a new version also records the whole
   * document of that version in the history, in the same transaction.
   */
  #transaction<T extends object>(
    role: string,
    change: (w: WriteContext) => StoreResult<T>,
    summaryPrefix = "",
  ): StoreResult<T> {
    let fresh: ConfigSnapshot | null = null;
    const result = this.ctx.storage.transactionSync(() => {
      const before = this.#tables.version();
      const now = Date.now();
      const outcome = change({ tables: this.#tables, now });
      if (outcome.ok) this.#tables.trimAudit();
      const version = this.#tables.version();
      if (outcome.ok && version !== before) {
        fresh = {
          version,
          pools: this.#tables.list("pool"),
          loadBalancers: this.#tables.list("load_balancer"),
        };
        this.#history.record(fresh, now, role, summarize(this.#tables, version, summaryPrefix));
      }
      return outcome;
    });
    const version = this.#tables.version();
    if (version !== this.#version) {
      logConfigChanges(this.#tables, this.#version);
      this.#version = version;
      this.#snapshot = fresh;
      // The write's answer does not wait for the Notifier; a failure re-arms the alarm.
      this.ctx.waitUntil(this.#forwardConfigEvents());
      this.#announce(version);
    }
    return result;
  }

  /**
   * Arms a safety alarm first, so an interrupted delivery is retried, then delivers at once; a large
   * change is delivered by an alarm right away instead of holding the response.
   */
  async #afterCommit(poolIds: readonly string[]): Promise<void> {
    if (poolIds.length === 0) return;
    if (poolIds.length > INLINE_NOTIFICATIONS) {
      await this.ctx.storage.setAlarm(Date.now());
      return;
    }
    await this.ctx.storage.setAlarm(Date.now() + SAFETY_ALARM_MS);
    await this.#deliver(poolIds);
  }

  async #deliver(poolIds?: readonly string[]): Promise<void> {
    const next = await deliverNotifications(
      {
        tables: this.#tables,
        poolState: (poolId) => this.env.POOL_STATE.getByName(poolId),
        now: Date.now,
      },
      poolIds,
    );
    if (next === null && this.#history.pendingEvents(1).length > 0) {
      await this.ctx.storage.setAlarm(Date.now() + FORWARD_RETRY_MS);
    } else if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(next, Date.now() + 100));
  }

  /** Tells every pool's PoolState about `version`, in the background (announce.ts). */
  #announce(version: number): void {
    const poolIds = this.#tables.list("pool").map((pool) => pool.id);
    const announcing = announceVersion(version, poolIds, (id) => this.env.POOL_STATE.getByName(id));
    this.ctx.waitUntil(announcing);
  }

  #currentSnapshot(): ConfigSnapshot {
    if (!this.#snapshot || this.#snapshot.version !== this.#version) {
      this.#snapshot = {
        version: this.#version,
        pools: this.#tables.list("pool"),
        loadBalancers: this.#tables.list("load_balancer"),
      };
    }
    return this.#snapshot;
  }
}

function configChangedEvent(event: PendingConfigEvent): NotifierEvent {
  return {
    id: event.id,
    type: "config_changed",
    at: new Date(event.at).toISOString(),
    message: `configuration version ${event.version}: ${event.summary}`,
  };
}

function randomKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function clampLimit(limit: number): number {
  return Number.isInteger(limit) ? Math.min(Math.max(limit, 1), MAX_LIST) : 100;
}

function describeAudit(entry: AuditEntry): string {
  const what = `${entry.kind === "pool" ? "pool" : "load balancer"} "${entry.id}"`;
  const via = entry.via === "config" ? " via PUT /config" : "";
  const versions =
    entry.versionFrom === null
      ? `version ${entry.versionTo}`
      : entry.versionTo === null
        ? `was version ${entry.versionFrom}`
        : `version ${entry.versionFrom} -> ${entry.versionTo}`;
  return `${what}: ${entry.change}${via} (${versions})`;
}
