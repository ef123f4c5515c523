/**
 * What this isolate tells each pool's PoolState, and the one call that carries it: per origin, the
 * requests completed since its last report, the failed ones, the failures in a row at the end, their
 * mean response time and (for pools that use them) the in-flight average. Every call to a pool's
 * PoolState is a report (possibly with nothing but in-flight figures) answered by a fresh snapshot,
 * so a read carries the news gathered so far and a report refreshes the view: one call, two uses.
 *
 * A report goes out when news is due (report-cadence.ts: failures and recoveries at once, in-flight
 * figures when they moved out of a dead band, counters on a slow clock) or when the pool's snapshot
 * is due for a read (pool-state-cache.ts). At most one call per pool at a time; a failed call puts
 * its counts back into the next batch and backs off (cadence.ts), so a failing PoolState sees a
 * bounded call rate whatever the traffic.
 *
 * Module scope holds plain data only; no promise is shared between requests.
 */
import type { Env } from "../env.ts";
import { INFLIGHT_STALE_MS } from "../health/inflight.ts";
import { mergeStreak } from "../health/passive.ts";
import type { HealthReport, OriginReport } from "../health/types.ts";
import { peekConfig } from "./config-cache.ts";
import { countDoCall } from "./do-calls.ts";
import { putShared } from "./location-tier.ts";
import { hasMetricsDelta, restoreMetricsDelta, takeMetricsDelta } from "./metrics.ts";
import { type AttemptOutcome, poolCounters } from "./outcomes.ts";
import { acceptPoolSnapshot, notePoolStateFailure, poolEntry } from "./pool-snapshots.ts";
import { outOfBand, type ReportNews, reportDueAt } from "./report-cadence.ts";
import { sendPoolReport } from "./report-region.ts";

/** How often a pool's news is looked at by the flush of a passing request, at most. */
const NEWS_CHECK_MS = 200;

interface OriginBatch {
  requests: number;
  failures: number;
  /** Failures in a row at the end of the batch. */
  trailing: number;
  latencySum: number;
  latencyCount: number;
}

interface PoolReports {
  batch: Map<string, OriginBatch>;
  lastSentAt: number;
  scheduledFor: number | null;
  /** An origin was ejected here, or came back after an ejection here, since the last report. */
  urgent: boolean;
  /** Whether the pool uses in-flight figures (its algorithm, steering or maxConnections). */
  usesInflight: boolean;
  /** In-flight figures of the last report the PoolState accepted, and when it was sent. */
  reported: Map<string, number>;
  reportedAt: number;
  /** The in-flight averages when the last report was sent: the centre of the dead band. */
  sentAverages: Map<string, number>;
  /** When a passing request last looked at the pool's news. */
  checkedAt: number;
}

const pools = new Map<string, PoolReports>();
/** Pools with news; the others need no look. */
const dirty = new Set<string>();
let isolateId: string | null = null;

/** Drops the pending reports of pools not in `poolIds`; returns how many pools still report. */
export function forgetPoolReports(poolIds: ReadonlySet<string>): number {
  for (const id of pools.keys()) {
    if (poolIds.has(id)) continue;
    pools.delete(id);
    dirty.delete(id);
  }
  return pools.size;
}

/**
 * Adds one completed attempt to the pool's next report; `failed` says whether it counts against the
 * origin (the pool's `passiveHealth.failOn`, health/passive.ts).
 */
export function recordOutcome(
  poolId: string,
  origin: string,
  outcome: AttemptOutcome,
  failed: boolean,
): void {
  const reports = reportsOf(poolId);
  let entry = reports.batch.get(origin);
  if (!entry) {
    entry = { requests: 0, failures: 0, trailing: 0, latencySum: 0, latencyCount: 0 };
    reports.batch.set(origin, entry);
  }
  entry.requests++;
  if (failed) {
    entry.failures++;
    entry.trailing++;
  } else entry.trailing = 0;
  if (outcome.status !== null) {
    entry.latencySum += outcome.latencyMs;
    entry.latencyCount++;
  }
  dirty.add(poolId);
}

/** Marks a pool whose in-flight figures or metrics changed. */
export function notePoolActivity(poolId: string): void {
  reportsOf(poolId);
  dirty.add(poolId);
}

/** An origin of the pool was ejected here, or served again after an ejection here: news for at once. */
export function notePoolNews(poolId: string): void {
  reportsOf(poolId).urgent = true;
  dirty.add(poolId);
}

/** Says whether the pool's reports carry in-flight figures (set from its configuration). */
export function setUsesInflight(poolId: string, uses: boolean): void {
  const reports = reportsOf(poolId);
  if (reports.usesInflight === uses) return;
  reports.usesInflight = uses;
  dirty.add(poolId);
}

/**
 * Whether anything reads the pool's in-flight figures (its reports carry them: `setUsesInflight`);
 * true for a pool not set up yet, so that nothing is left uncounted by default.
 */
export function poolUsesInflight(poolId: string): boolean {
  return pools.get(poolId)?.usesInflight ?? true;
}

/**
 * This isolate's in-flight figure for an origin as its last accepted report announced it, which the
 * PoolState's sums include; 0 once that report is too old to count there.
 */
export function reportedInflight(poolId: string, origin: string, now: number): number {
  const reports = pools.get(poolId);
  if (!reports || now - reports.reportedAt > INFLIGHT_STALE_MS) return 0;
  return reports.reported.get(origin) ?? 0;
}

/**
 * Sends the reports whose news is due, and arranges a delayed send for urgent news not due yet.
 * @example flushReports(env, ctx, Date.now());
 */
export function flushReports(env: Env, ctx: Pick<ExecutionContext, "waitUntil">, now: number): void {
  for (const poolId of dirty) {
    const reports = pools.get(poolId);
    if (!reports) {
      dirty.delete(poolId);
      continue;
    }
    // Nothing but urgent news can be due this soon after the last report or look: most requests of a
    // busy isolate stop here, at no cost.
    const lastLook = Math.max(reports.lastSentAt, reports.checkedAt);
    if (!reports.urgent && now - lastLook < NEWS_CHECK_MS) {
      // The last requests of a burst may all end within the pause; while the PoolState counts some
      // of ours in flight, one later look makes sure their end is not missed.
      if (reports.reported.size > 0 && reports.scheduledFor === null) {
        reports.scheduledFor = lastLook + NEWS_CHECK_MS;
        ctx.waitUntil(
          sleep(lastLook + NEWS_CHECK_MS - now).then(() => {
            reports.scheduledFor = null;
            flushReports(env, ctx, Date.now());
          }),
        );
      }
      continue;
    }
    reports.checkedAt = now;
    const news = newsOf(poolId, reports, now);
    const dueAt = reportDueAt(news, reports.lastSentAt);
    if (dueAt === null) {
      // Requests still in flight here keep the pool dirty: their average moves without any event,
      // and the heartbeat of a long attempt must find the pool when the figure becomes news.
      if (!news.inflightLive) dirty.delete(poolId);
      continue;
    }
    const cadence = poolEntry(poolId).cadence;
    if (!cadence.mayStart(now)) continue;
    if (dueAt <= now) {
      ctx.waitUntil(callPool(env, poolId, now));
      continue;
    }
    // Only urgent news (it drives ejections) and requests that all ended (no request will pass by
    // to send the zero) justify a delayed send; other news rides on the next request's flush or read.
    if (!reports.urgent && !news.drained) continue;
    if (reports.scheduledFor !== null && now - reports.scheduledFor < 10_000) continue;
    reports.scheduledFor = dueAt;
    ctx.waitUntil(
      sleep(dueAt - now).then(() => {
        reports.scheduledFor = null;
        const at = Date.now();
        if (!poolEntry(poolId).cadence.mayStart(at)) return undefined;
        return callPool(env, poolId, at);
      }),
    );
  }
}

/**
 * Sends every pool's pending news now, due or not: for a metrics scrape, which reads the PoolStates
 * right after and should see this isolate's latest requests (an admin request, not traffic).
 * @example sendPendingReports(env, ctx, Date.now());
 */
export function sendPendingReports(env: Env, ctx: Pick<ExecutionContext, "waitUntil">, now: number): void {
  for (const poolId of dirty) {
    const reports = pools.get(poolId);
    if (!reports || !poolEntry(poolId).cadence.mayStart(now)) continue;
    const news = newsOf(poolId, reports, now);
    if (news.urgent || news.counters || news.inflightMoved) ctx.waitUntil(callPool(env, poolId, now));
  }
}

/** What the pool's next report would carry, for the due rule. */
function newsOf(
  poolId: string,
  reports: PoolReports,
  now: number,
): ReportNews & { drained: boolean; inflightLive: boolean } {
  let inflightMoved = false;
  let inflightHeld = false;
  let inflightNow = 0;
  if (reports.usesInflight) {
    for (const [name, counter] of poolCounters(poolId)) {
      inflightNow += counter.inflight;
      if ((reports.reported.get(name) ?? 0) > 0) inflightHeld = true;
      const centre = reports.sentAverages.get(name) ?? 0;
      if (!inflightMoved && outOfBand(counter.average.value(now), centre)) inflightMoved = true;
    }
  }
  // Every request here ended while the PoolState still counts some: the zero must go out.
  const drained = inflightHeld && inflightNow === 0;
  return {
    urgent: reports.urgent,
    counters: reports.batch.size > 0 || hasMetricsDelta(poolId),
    usesInflight: reports.usesInflight,
    inflightMoved: inflightMoved || drained,
    inflightHeld,
    drained,
    inflightLive: inflightNow > 0 || inflightHeld,
  };
}

/**
 * Sends the pool's report now, whatever it holds, and installs the snapshot that answers it. The
 * caller checked that a call may start (`poolCallAllowed`).
 * @example ctx.waitUntil(callPool(env, "web", Date.now()));
 */
export async function callPool(env: Env, poolId: string, now: number): Promise<void> {
  const cadence = poolEntry(poolId).cadence;
  const reports = reportsOf(poolId);
  const taken = reports.batch;
  const urgent = reports.urgent;
  reports.batch = new Map();
  reports.urgent = false;
  const { origins, inflight, averages } = buildOrigins(poolId, reports, taken, now);
  const report: HealthReport = { isolateId: isolateIdOf(), sentAt: now, origins };
  const configVersion = peekConfig()?.version;
  if (configVersion !== undefined) report.configVersion = configVersion;
  const metrics = takeMetricsDelta(poolId);
  cadence.begin(now);
  reports.lastSentAt = now;
  try {
    countDoCall("report");
    const snapshot = await sendPoolReport(env, poolId, report, metrics ?? undefined);
    reports.reported = inflight;
    reports.reportedAt = now;
    reports.sentAverages = averages;
    const answeredAt = Date.now();
    acceptPoolSnapshot(poolId, snapshot, answeredAt);
    if (snapshot) await putShared(env, `pool/${poolId}`, snapshot, answeredAt);
  } catch (error) {
    putBack(reports, taken);
    reports.urgent ||= urgent;
    restoreMetricsDelta(poolId, metrics);
    notePoolStateFailure(poolId, Date.now());
    console.log(
      JSON.stringify({
        event: "pool_report_failed",
        pool: poolId,
        failures: cadence.failures,
        error: String(error),
      }),
    );
  } finally {
    dirty.add(poolId);
  }
}

/**
 * The per-origin figures of a report: the batch taken and, if the pool uses them, the requests in
 * flight now (with the averages that centre the next dead band).
 */
function buildOrigins(
  poolId: string,
  reports: PoolReports,
  taken: ReadonlyMap<string, OriginBatch>,
  now: number,
): { origins: Record<string, OriginReport>; inflight: Map<string, number>; averages: Map<string, number> } {
  const origins: Record<string, OriginReport> = {};
  const inflight = new Map<string, number>();
  const averages = new Map<string, number>();
  if (reports.usesInflight) {
    for (const [name, counter] of poolCounters(poolId)) {
      if (counter.inflight > 0) inflight.set(name, counter.inflight);
      averages.set(name, counter.average.value(now));
    }
  }
  for (const name of new Set([...taken.keys(), ...inflight.keys()])) {
    const entry = taken.get(name);
    origins[name] = {
      inflight: inflight.get(name) ?? 0,
      requests: entry?.requests ?? 0,
      failures: entry?.failures ?? 0,
      consecutiveFailures: entry?.trailing ?? 0,
      ...(entry && entry.latencyCount > 0 ? { latencyMsAvg: entry.latencySum / entry.latencyCount } : {}),
    };
  }
  return { origins, inflight, averages };
}

/** Returns the counts of a failed send to the batch, before whatever arrived since. */
function putBack(reports: PoolReports, taken: ReadonlyMap<string, OriginBatch>): void {
  for (const [name, old] of taken) {
    const current = reports.batch.get(name);
    if (!current) {
      reports.batch.set(name, old);
      continue;
    }
    current.trailing = mergeStreak(old.trailing, {
      requests: current.requests,
      failures: current.failures,
      consecutiveFailures: current.trailing,
    });
    current.requests += old.requests;
    current.failures += old.failures;
    current.latencySum += old.latencySum;
    current.latencyCount += old.latencyCount;
  }
}

function reportsOf(poolId: string): PoolReports {
  let reports = pools.get(poolId);
  if (!reports) {
    reports = {
      batch: new Map(),
      lastSentAt: 0,
      scheduledFor: null,
      urgent: false,
      usesInflight: false,
      reported: new Map(),
      reportedAt: 0,
      sentAverages: new Map(),
      checkedAt: 0,
    };
    pools.set(poolId, reports);
  }
  return reports;
}

/** Random ids cannot be made at module load in Workers, so the id is made on first use. */
function isolateIdOf(): string {
  isolateId ??= crypto.randomUUID();
  return isolateId;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
