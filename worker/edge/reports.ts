/**
 * What this isolate tells each pool's PoolState: per origin, the requests completed since its last
 * report, the failed ones, the failures in a row at the end, their mean response time and the
 * requests in flight now. Batched per pool and sent in `waitUntil`:
 *
 * - at most every `REPORT_INTERVAL_MS` per pool, as soon as there is news (completions, or in-flight
 *   figures that differ from the last report) and a request passes by; failures that arrive sooner
 *   wait for the interval in a delayed send, so they reach the PoolState within that interval even
 *   if traffic stops (other news waits for the next request: nothing depends on it quickly);
 * - while requests are in flight, at least every `INFLIGHT_REPORT_INTERVAL_MS`, so the PoolState keeps
 *   counting them (it forgets an isolate silent for 5 s);
 * - the PoolState answers with a fresh snapshot, which refreshes this isolate's view (one call, two
 *   uses). A failed send puts its counts back into the next batch and backs off.
 *
 * Module scope holds plain data only; no promise is shared between requests.
 */
import type { Env } from "../env.ts";
import { INFLIGHT_STALE_MS } from "../health/inflight.ts";
import { mergeStreak } from "../health/passive.ts";
import type { HealthReport, OriginReport } from "../health/types.ts";
import { countDoCall } from "./do-calls.ts";
import { hasMetricsDelta, restoreMetricsDelta, takeMetricsDelta } from "./metrics.ts";
import { type AttemptOutcome, poolCounters } from "./outcomes.ts";
import { acceptPoolSnapshot, notePoolStateFailure } from "./pool-state-cache.ts";
import { sendPoolReport } from "./report-region.ts";

/** Shortest time between two reports of one pool from one isolate. */
export const REPORT_INTERVAL_MS = 300;
/** Longest time between two reports while this isolate has requests in flight to the pool. */
export const INFLIGHT_REPORT_INTERVAL_MS = 2000;
/** A send or delayed send still marked running after this long is taken as lost. */
const LOST_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;

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
  /** Failures in `batch`, all origins together. */
  batchFailures: number;
  lastSentAt: number;
  sendingSince: number | null;
  scheduledFor: number | null;
  failures: number;
  retryAt: number;
  /** In-flight figures of the last report the PoolState accepted, and when it was sent. */
  reported: Map<string, number>;
  reportedAt: number;
}

const pools = new Map<string, PoolReports>();
/** Pools with news or requests in flight; the others need no look. */
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
    reports.batchFailures++;
  } else entry.trailing = 0;
  if (outcome.status !== null) {
    entry.latencySum += outcome.latencyMs;
    entry.latencyCount++;
  }
  dirty.add(poolId);
}

/** Marks a pool whose in-flight figures changed (an attempt started). */
export function notePoolActivity(poolId: string): void {
  reportsOf(poolId);
  dirty.add(poolId);
}

/**
 * This isolate's in-flight count for an origin as its last accepted report announced it, which the
 * PoolState's sums include; 0 once that report is too old to count there.
 */
export function reportedInflight(poolId: string, origin: string, now: number): number {
  const reports = pools.get(poolId);
  if (!reports || now - reports.reportedAt > INFLIGHT_STALE_MS) return 0;
  return reports.reported.get(origin) ?? 0;
}

/**
 * Sends the reports that are due, and arranges a delayed send for news that is not due yet.
 * @example flushReports(env, ctx, Date.now());
 */
export function flushReports(env: Env, ctx: Pick<ExecutionContext, "waitUntil">, now: number): void {
  for (const poolId of dirty) {
    const reports = pools.get(poolId);
    if (!reports) {
      dirty.delete(poolId);
      continue;
    }
    // Within an interval of the last send nothing can be due, and without failures nothing needs a
    // delayed send: most requests of a busy isolate stop here, at no cost.
    const sending = reports.sendingSince !== null && now - reports.sendingSince < LOST_MS;
    if ((sending || now < reports.lastSentAt + REPORT_INTERVAL_MS) && reports.batchFailures === 0) continue;
    const dueAt = nextDue(poolId, reports, now);
    if (dueAt === null) {
      dirty.delete(poolId);
      continue;
    }
    if (dueAt <= now) {
      ctx.waitUntil(send(env, poolId, reports, now));
      continue;
    }
    // Only failures justify a delayed send: they drive ejections. Other news (successes, in-flight
    // figures, request metrics) rides on the next report a request triggers: a delayed send holds
    // the invocation that schedules it open for up to an interval.
    if (!hasFailures(reports)) continue;
    if (reports.scheduledFor !== null && now - reports.scheduledFor < LOST_MS) continue;
    reports.scheduledFor = dueAt;
    ctx.waitUntil(
      sleep(dueAt - now).then(() => {
        reports.scheduledFor = null;
        const at = Date.now();
        if ((nextDue(poolId, reports, at) ?? Number.POSITIVE_INFINITY) <= at)
          return send(env, poolId, reports, at);
        return undefined;
      }),
    );
  }
}

function hasFailures(reports: PoolReports): boolean {
  return reports.batchFailures > 0;
}

/** When the pool's next report is due (maybe now or past), or null when there is nothing to tell. */
function nextDue(poolId: string, reports: PoolReports, now: number): number | null {
  const counters = poolCounters(poolId);
  let inflight = false;
  let changed = reports.batch.size > 0 || hasMetricsDelta(poolId);
  for (const [name, counter] of counters) {
    if (counter.inflight > 0) inflight = true;
    if (counter.inflight !== (reports.reported.get(name) ?? 0)) changed = true;
  }
  for (const [name, count] of reports.reported) {
    if (count > 0 && (counters.get(name)?.inflight ?? 0) === 0) changed = true;
  }
  if (!changed && !inflight) return null;
  const wait = changed ? REPORT_INTERVAL_MS : INFLIGHT_REPORT_INTERVAL_MS;
  const busy = reports.sendingSince !== null && now - reports.sendingSince < LOST_MS;
  // A running send is followed by the next one an interval later at the earliest.
  const base = busy ? Math.max(now, reports.lastSentAt) : reports.lastSentAt;
  return Math.max(base + wait, reports.retryAt);
}

async function send(env: Env, poolId: string, reports: PoolReports, now: number): Promise<void> {
  if (reports.sendingSince !== null && now - reports.sendingSince < LOST_MS) return;
  const taken = reports.batch;
  reports.batch = new Map();
  reports.batchFailures = 0;
  const counters = poolCounters(poolId);
  const names = new Set([...taken.keys(), ...counters.keys(), ...reports.reported.keys()]);
  const origins: Record<string, OriginReport> = {};
  const inflight = new Map<string, number>();
  for (const name of names) {
    const count = counters.get(name)?.inflight ?? 0;
    const entry = taken.get(name);
    if (!entry && count === 0) continue;
    if (count > 0) inflight.set(name, count);
    origins[name] = {
      inflight: count,
      requests: entry?.requests ?? 0,
      failures: entry?.failures ?? 0,
      consecutiveFailures: entry?.trailing ?? 0,
      ...(entry && entry.latencyCount > 0 ? { latencyMsAvg: entry.latencySum / entry.latencyCount } : {}),
    };
  }
  const report: HealthReport = { isolateId: isolateIdOf(), sentAt: now, origins };
  const metrics = takeMetricsDelta(poolId);
  reports.sendingSince = now;
  reports.lastSentAt = now;
  try {
    countDoCall("report");
    const snapshot = await sendPoolReport(env, poolId, report, metrics ?? undefined);
    reports.reported = inflight;
    reports.reportedAt = now;
    reports.failures = 0;
    reports.retryAt = 0;
    acceptPoolSnapshot(poolId, snapshot, Date.now());
  } catch (error) {
    putBack(reports, taken);
    restoreMetricsDelta(poolId, metrics);
    reports.failures++;
    const backoff = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(reports.failures, 20));
    const failedAt = Date.now();
    reports.retryAt = failedAt + backoff / 2 + Math.random() * (backoff / 2);
    notePoolStateFailure(poolId, failedAt);
    console.log(
      JSON.stringify({
        event: "pool_report_failed",
        pool: poolId,
        failures: reports.failures,
        error: String(error),
      }),
    );
  } finally {
    reports.sendingSince = null;
    dirty.add(poolId);
  }
}

/** Returns the counts of a failed send to the batch, before whatever arrived since. */
function putBack(reports: PoolReports, taken: ReadonlyMap<string, OriginBatch>): void {
  for (const [name, old] of taken) {
    reports.batchFailures += old.failures;
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
      batchFailures: 0,
      lastSentAt: 0,
      sendingSince: null,
      scheduledFor: null,
      failures: 0,
      retryAt: 0,
      reported: new Map(),
      reportedAt: 0,
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
