import type { Pool } from "../../worker/config/schema.ts";
import type { Env } from "../../worker/env.ts";
import { aggregationSetting, nextAggregated } from "../../worker/health/aggregation-mode.ts";
import { poolEvent } from "../../worker/health/events.ts";
import { FailureWindows } from "../../worker/health/failure-rate.ts";
import { InflightTable } from "../../worker/health/inflight.ts";
import { ejectOutliers } from "../../worker/health/passive.ts";
import {
  buildSnapshot,
  checksOn,
  describePoolHealth,
  isEjected,
  toPoolHealth,
} from "../../worker/health/pool-health.ts";
import { applyProbe, applyTraffic, clearEjectionByChecks } from "../../worker/health/record.ts";
import { normalizeReport } from "../../worker/health/report.ts";
import type {
  HealthEvent,
  HealthReport,
  OriginRecord,
  PoolHealth,
  PoolSnapshot,
  PoolTimeline,
} from "../../worker/health/types.ts";
import type { HistoryWindow } from "../../worker/metrics/history.ts";
import { normalizeDelta } from "../../worker/metrics/normalize.ts";
import type { MetricsScope } from "../../worker/metrics/retention.ts";
import type { MetricsDelta, PoolMetrics } from "../../worker/metrics/series.ts";
import { stampDrains } from "./drains.ts";
import { type PoolHistory, PoolStateHistory } from "./history.ts";
import { PoolStateMetrics } from "./metrics.ts";
import { EventForwarder } from "./notify.ts";
import { boundedLimit, expireEjections, pushEvent, reconcileOrigins } from "./origins.ts";
import type { ProbeFinding } from "./probe.ts";
import { sendDueProbes } from "./probing.ts";
import { RegionalViews } from "./regions.ts";
import { AlarmWatchdog, isStaleConfiguration, ProbeSchedule, probeKey } from "./schedule.ts";
import { MAX_EVENTS, PoolStateStore } from "./store.ts";

/** Storage key of the version of the pool when it was deleted: older configurations stay ignored. */
const DELETED_VERSION_KEY = "deletedVersion";

/**
 * One per pool (named by pool id): active probes on its alarm, passive ejections from the edges'
 * reports, in-flight sums, and the pool's event log. The rules live in worker/health (pure); this
 * class keeps the state (SQLite, plus in-flight figures in memory) and does the I/O.
 */
export class PoolStateCore {
  readonly ctx: DurableObjectState;
  readonly env: Env;
  /** The clock of every health decision: the object's `now` (tests replace it). */
  private readonly now: () => number;
  #store: PoolStateStore;
  #pool: Pool | null = null;
  #records = new Map<string, OriginRecord>();
  #inflight = new InflightTable();
  /** Whether the snapshots tell edges to report through the regional aggregators. */
  #aggregated = false;
  #metrics: PoolStateMetrics;
  #history: PoolStateHistory;
  #forwarder: EventForwarder;
  #schedule = new ProbeSchedule();
  /** Each origin's requests and failures over the last 10 s, for `failureRatePercent`. */
  #windows = new FailureWindows();
  #alarms = new AlarmWatchdog();
  /** Each region's verdict of each origin, with `healthCheck.regions`. */
  #regional: RegionalViews;
  /** The newest configuration version announced by the ConfigStore or reported by an edge. */
  #configVersion = 0;

  constructor(ctx: DurableObjectState, env: Env, now: () => number) {
    this.ctx = ctx;
    this.env = env;
    this.now = now;
    this.#store = new PoolStateStore(ctx.storage.sql);
    this.#metrics = new PoolStateMetrics(ctx.storage.sql);
    this.#history = new PoolStateHistory(ctx.storage.sql);
    this.#regional = new RegionalViews(ctx.storage.sql);
    this.#forwarder = new EventForwarder(ctx.storage.sql, (events) =>
      env.NOTIFIER.getByName("global").emit(events),
    );
    if (this.#store.exists()) {
      this.#store.migrate();
      this.#pool = this.#store.loadPool();
      this.#records = this.#store.loadRecords();
      // After a restart, each origin is next due an interval after its last check.
      const intervalSeconds = this.#pool?.healthCheck?.intervalSeconds;
      if (intervalSeconds !== undefined) {
        for (const record of this.#records.values()) {
          this.#schedule.seed(record.name, record.lastCheckAt, intervalSeconds * 1000);
        }
      }
    }
  }

  /**
   * Called by the ConfigStore after every committed change of this pool; null when it was deleted.
   * Deliveries may arrive late or twice: a configuration older than the one applied (or than the
   * one deleted) changes nothing.
   */
  async configure(pool: Pool | null): Promise<void> {
    const previous = this.#pool;
    if (pool === null) {
      const deleted = previous?.version ?? (await this.ctx.storage.get<number>(DELETED_VERSION_KEY)) ?? 0;
      this.#schedule.restart();
      this.#pool = null;
      this.#records.clear();
      this.#regional.clear();
      this.#windows.clear();
      this.#inflight.clear();
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
      this.#metrics.reset();
      this.#history.reset();
      await this.ctx.storage.put(DELETED_VERSION_KEY, deleted);
      return;
    }
    const deleted = previous === null ? await this.ctx.storage.get<number>(DELETED_VERSION_KEY) : undefined;
    if (isStaleConfiguration(pool, previous?.version ?? null, deleted ?? null)) return;
    const now = this.now();
    const events: HealthEvent[] = [];
    this.#store.migrate();
    const names = new Set(pool.origins.map((origin) => origin.name));
    const parts = { windows: this.#windows, store: this.#store, regional: this.#regional };
    reconcileOrigins(pool, this.#records, parts, now, events);
    this.#pool = pool;
    this.#store.savePool(pool);
    const probesChanged = previous === null || probeKey(previous) !== probeKey(pool);
    if (probesChanged) this.#schedule.restart();
    else this.#schedule.keep(names);
    this.#expireEjections(now, events);
    this.#settle(now, events);
    if (!checksOn(pool)) {
      await this.ctx.storage.deleteAlarm();
    } else if (probesChanged || (await this.ctx.storage.getAlarm()) === null) {
      // Probes of the old settings that are still running are void; every origin is due now.
      await this.ctx.storage.setAlarm(now);
    }
  }

  /**
   * Sends the probes that are due (each origin `intervalSeconds` after its previous probe), spread
   * over prober calls of at most six origins, and arms the next alarm whatever happens: an alarm
   * that fails is retried only a few times, and the chain must not end with it.
   */
  async alarm(): Promise<void> {
    this.#alarms.ran(this.now());
    try {
      await this.#probeDue();
    } catch (error) {
      console.log(
        JSON.stringify({ event: "health_probe_round_failed", pool: this.#pool?.id, error: String(error) }),
      );
    } finally {
      await this.#armNext();
    }
  }

  /**
   * A verdict from a prober, applied the moment its probe ends. `generation` ties it to the probe
   * settings it was sent with; a verdict for older settings, or about another server, is dropped.
   */
  async probed(generation: number, region: string | null, finding: ProbeFinding): Promise<void> {
    this.#applyFinding(generation, region, finding);
  }

  #applyFinding(generation: number, region: string | null, finding: ProbeFinding): void {
    const pool = this.#pool;
    const check = pool?.healthCheck;
    if (!pool || !check?.enabled) return;
    if (!this.#schedule.settle(finding.name, region, generation)) return;
    const record = this.#records.get(finding.name);
    if (!record || record.target !== finding.target) return;
    const now = this.now();
    const events: HealthEvent[] = [];
    const result = {
      name: finding.name,
      ok: finding.ok,
      error: finding.error,
      latencyMs: finding.latencyMs,
      at: now,
    };
    // With regions, the region's view changes and the origin's verdict is their quorum.
    const verdict =
      region === null
        ? applyProbe(pool.id, record, result, check)
        : this.#regional.apply(pool, record, { ...result, region }, check);
    pushEvent(events, verdict);
    pushEvent(events, clearEjectionByChecks(pool.id, record, check, now));
    this.#store.saveRecord(record);
    this.#expireEjections(now, events);
    this.#settle(now, events);
  }

  async #probeDue(): Promise<void> {
    const pool = this.#pool;
    const check = pool?.healthCheck;
    if (!pool || !check?.enabled) return;
    await sendDueProbes(this.env, pool, check, this.#schedule, this.now(), (generation, region, finding) =>
      this.#applyFinding(generation, region, finding),
    );
  }

  async #armNext(): Promise<void> {
    const pool = this.#pool;
    if (!pool || !checksOn(pool)) return;
    const now = this.now();
    const next = this.#schedule.nextDue(pool.origins, now);
    await this.ctx.storage.setAlarm(Math.max(next, now));
  }

  /** Re-arms an alarm chain that has gone silent (`AlarmWatchdog`). */
  async #watchdog(now: number): Promise<void> {
    const check = this.#pool?.healthCheck;
    if (!check?.enabled || !this.#alarms.broken(now, check.intervalSeconds)) return;
    console.log(JSON.stringify({ event: "health_alarm_rearmed", pool: this.#pool?.id }));
    await this.ctx.storage.setAlarm(now);
  }

  /**
   * The edges' passive observations, batched per isolate. Applies outlier ejection pool-wide and
   * returns the fresh snapshot, so a report also refreshes the edge's view; null for an unknown pool.
   * `metrics`, the isolate's request metrics since its last report, is added to the pool's totals.
   */
  async report(batch: HealthReport, metrics?: MetricsDelta): Promise<PoolSnapshot | null> {
    const pool = this.#pool;
    if (!pool) return null;
    this.#noteVersion(batch?.configVersion);
    if (metrics !== undefined) this.#metrics.addDelta(pool.id, metrics, batch?.configVersion);
    const now = this.now();
    await this.#watchdog(now);
    const events: HealthEvent[] = [];
    this.#expireEjections(now, events);
    const report = normalizeReport(batch, (name) => this.#records.has(name));
    if (!report) return this.#recordHistory(now, metrics, this.#settle(now, events));
    const inflight: Record<string, number> = {};
    for (const [name, figures] of report.origins) if (figures.inflight > 0) inflight[name] = figures.inflight;
    this.#inflight.record(report.isolateId, report.sentAt, inflight, now, report.isolates);
    this.#inflight.prune(now);
    for (const [name, figures] of report.origins) {
      const record = this.#records.get(name);
      if (!record) continue;
      applyTraffic(record, figures, now);
      if (figures.requests > 0 && !isEjected(record, now))
        this.#windows.of(name).add(now, figures.requests, figures.failures);
    }
    const ejections = ejectOutliers(pool.id, pool.origins, this.#records, pool.passiveHealth, now, (name) =>
      this.#windows.of(name).totals(now),
    );
    for (const event of ejections) if (event.origin !== null) this.#windows.delete(event.origin);
    events.push(...ejections);
    const touched = new Set([...report.origins.keys(), ...ejections.map((event) => event.origin ?? "")]);
    for (const name of touched) {
      const record = this.#records.get(name);
      if (record) this.#store.saveRecord(record);
    }
    return this.#recordHistory(now, metrics, this.#settle(now, events));
  }

  /** Adds a report's metrics to the minute history (reports without metrics leave it alone). */
  #recordHistory(now: number, metrics: MetricsDelta | undefined, snapshot: PoolSnapshot): PoolSnapshot {
    const pool = this.#pool;
    if (metrics === undefined || !pool) return snapshot;
    const origins = pool.origins.map((origin) => origin.name);
    this.#history.record(now, normalizeDelta(metrics, pool.id), snapshot, origins);
    return snapshot;
  }

  /**
   * The ConfigStore's announcement of a new configuration version, carried to the edges by every
   * snapshot so that they read the configuration again only when it changed (docs/scale.md).
   */
  async noteConfigVersion(version: number): Promise<void> {
    this.#noteVersion(version);
  }

  #noteVersion(version: unknown): void {
    if (typeof version === "number" && Number.isSafeInteger(version) && version > this.#configVersion) {
      this.#configVersion = version;
    }
  }

  /** What edges cache: per-origin health, in-flight sums, pool health. */
  async snapshot(): Promise<PoolSnapshot | null> {
    if (!this.#pool) return null;
    const now = this.now();
    await this.#watchdog(now);
    const events: HealthEvent[] = [];
    this.#expireEjections(now, events);
    return this.#settle(now, events);
  }

  /**
   * The body of `GET /pools/{id}/health`, with `drainingUntil` after the longest `drainSeconds` of
   * the load balancers using the pool; null for a pool this object does not know.
   */
  async health(drainSeconds = 0): Promise<PoolHealth | null> {
    const pool = this.#pool;
    const snapshot = await this.snapshot();
    if (!pool || !snapshot) return null;
    const names = pool.origins.map((origin) => origin.name);
    const health = toPoolHealth(snapshot, names, { drainSeconds, now: this.now() });
    this.#regional.describe(pool, health.origins);
    return health;
  }

  /** The pool's totals and gauges for `/__lb/metrics`, pruned to a current `scope`; null: pool unknown. */
  async metrics(scope?: MetricsScope): Promise<PoolMetrics | null> {
    const pool = this.#pool;
    const snapshot = await this.snapshot();
    if (!pool || !snapshot) return null;
    return this.#metrics.read(pool, snapshot, scope, this.#configVersion);
  }

  /** The body of `GET /pools/{id}/history`: one point a minute over the window; null for an unknown pool. */
  async history(window: HistoryWindow): Promise<PoolHistory | null> {
    const pool = this.#pool;
    if (!pool || !(await this.snapshot())) return null;
    const origins = pool.origins.map((origin) => origin.name);
    return this.#history.read(pool.id, window, this.now(), origins, this.#store.listEvents(MAX_EVENTS));
  }

  /** Health transitions and ejections of this pool, newest first (the last 500 are kept). */
  async events(limit: number): Promise<HealthEvent[]> {
    if (!this.#store.exists()) return [];
    const bounded = boundedLimit(limit, 0);
    return bounded === 0 ? [] : this.#store.listEvents(bounded);
  }

  /**
   * The pool's current verdict and its newest `limit` pool health transitions, newest first: what
   * the failover history of the load balancers using the pool is derived from. Null for a pool this
   * object does not know.
   */
  async timeline(limit: number): Promise<PoolTimeline | null> {
    const pool = this.#pool;
    if (!pool || !(await this.snapshot())) return null;
    const bounded = boundedLimit(limit, 1);
    return {
      pool: pool.id,
      healthy: this.#store.poolHealthy(),
      events: this.#store.listEventsOfKinds(["pool_healthy", "pool_unhealthy"], bounded),
    };
  }

  /** Remembers the weight an origin had before it was drained through the API. */
  async rememberDrainedWeight(name: string, weight: number): Promise<void> {
    if (!Number.isFinite(weight) || weight <= 0) return;
    this.#store.migrate();
    this.#store.setDrainedWeight(name, weight, this.now());
  }

  /** The weight to restore on undrain, or null when the API did not drain the origin. */
  async drainedWeight(name: string): Promise<number | null> {
    if (!this.#store.exists()) return null;
    // Storage written before drains were remembered lacks the table until a migration.
    this.#store.migrate();
    return this.#store.drainedWeight(name);
  }

  /** Forgets a drained weight once it has been restored. */
  async forgetDrainedWeight(name: string): Promise<void> {
    if (!this.#store.exists()) return;
    this.#store.migrate();
    this.#store.deleteDrainedWeight(name);
  }

  /** Ends the ejections that have run out by `now`. */
  #expireEjections(now: number, events: HealthEvent[]): void {
    if (this.#pool) expireEjections(this.#pool.id, this.#records, this.#store, now, events);
  }

  /** Settles pool health (an event when it flips), records `events` and returns the snapshot. */
  #settle(now: number, events: HealthEvent[]): PoolSnapshot {
    const pool = this.#pool as Pool;
    const snapshot = buildSnapshot(pool, this.#records, this.#inflight.totals(now), now);
    if (this.#configVersion > 0) snapshot.configVersion = this.#configVersion;
    const setting = aggregationSetting(this.env.REPORT_AGGREGATION);
    this.#aggregated = nextAggregated(setting, this.#aggregated, this.#inflight.isolates(now));
    if (this.#aggregated) snapshot.aggregated = true;
    stampDrains(this.#store, pool, snapshot);
    this.#regional.stamp(pool, snapshot);
    const previous = this.#store.poolHealthy();
    if (previous !== snapshot.healthy) {
      this.#store.setPoolHealthy(snapshot.healthy);
      if (previous !== null) {
        const kind = snapshot.healthy ? "pool_healthy" : "pool_unhealthy";
        events.push(poolEvent(pool.id, kind, now, describePoolHealth(pool, snapshot.healthyOrigins)));
      }
    }
    this.#store.recordEvents(events);
    this.#metrics.countEvents(events);
    // Notifications are handed over after this call's work, never in its way.
    if (this.#forwarder.record(events)) this.ctx.waitUntil(this.#forwarder.flush());
    return snapshot;
  }
}
