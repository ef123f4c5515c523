/**
 * Regional aggregation of edge reports, pure. While a pool is aggregated
 * (worker/health/aggregation-mode.ts) the isolates of one region send their pool reports to that
 * region's ReportAggregator instead of the PoolState; the aggregator keeps what they said here and
 * forwards one combined report, under its own id, at most every `AGGREGATE_INTERVAL_MS`, with the
 * number of isolates it heard from (for the automatic decision). To the PoolState an aggregator is
 * one isolate:
 *
 * - in flight: per origin, the sum of the latest figures of the isolates heard from in the last
 *   `INFLIGHT_STALE_MS` (the PoolState's own table and rule, one level down);
 * - traffic: requests and failures summed, the failure streak merged in arrival order exactly as the
 *   PoolState merges the reports one by one, the mean response time weighted by requests;
 * - metrics deltas: summed series by series.
 *
 * A report that ends in failures of an origin the PoolState has not ejected goes on at once: those
 * drive ejections, which must not wait for the interval. "At once" is bounded to one combined report
 * per `AGGREGATE_URGENT_GAP_MS`, so that an origin that keeps failing without being ejected (the
 * pool's `maxEjectionPercent` reached) cannot bring back one PoolState call per isolate report.
 */
import { type MetricsDelta, SeriesSet } from "../metrics/series.ts";
import { InflightTable } from "./inflight.ts";
import { mergeStreak } from "./passive.ts";
import type { NormalizedReport } from "./report.ts";
import type { HealthReport, OriginReport, PoolSnapshot } from "./types.ts";

/** Shortest time between two combined reports of one aggregator, the edges' own report interval. */
export const AGGREGATE_INTERVAL_MS = 300;
/**
 * Longest silence toward the PoolState while it counts requests in flight from this aggregator
 * (it forgets a reporter silent for `INFLIGHT_STALE_MS`, 90 s), the edges' own in-flight heartbeat.
 */
export const AGGREGATE_HEARTBEAT_MS = 30_000;
/**
 * Oldest PoolState answer an isolate is handed: a report that finds the last forward this old is
 * forwarded, news or not, and gets a fresh snapshot. With the edges' busiest read interval (1.25 s)
 * this keeps an ejection within 2 s of every busy edge.
 */
export const AGGREGATE_ANSWER_MAX_AGE_MS = 500;
/** Shortest time between two combined reports when failures that may eject an origin wait. */
export const AGGREGATE_URGENT_GAP_MS = 50;
/** The region of requests that do not say where they come from (local development, tests). */
export const UNKNOWN_REGION = "XX";
/** Series one combined report carries at most: the PoolState reads at most 10,000 points of a delta. */
export const MAX_AGGREGATE_SERIES = 10_000;
/**
 * Reports kept apart at most while forwards fail; beyond it the older ones are folded into one
 * (combining is associative), so an unreachable PoolState cannot grow the aggregator's memory.
 */
export const MAX_PENDING_REPORTS = 1000;
/** Newest reports left apart when folding, so that their senders can still take them back. */
const KEPT_APART = 100;

/** The continent codes `request.cf.continent` carries. */
const CONTINENTS: ReadonlySet<string> = new Set(["AF", "AN", "AS", "EU", "NA", "OC", "SA"]);

/**
 * The aggregation region of a request from its `request.cf.continent`; `UNKNOWN_REGION` otherwise.
 * @example reportRegion(request.cf?.continent) // "EU"
 */
export function reportRegion(continent: unknown): string {
  return typeof continent === "string" && CONTINENTS.has(continent) ? continent : UNKNOWN_REGION;
}

/**
 * The name of the ReportAggregator of a pool and region.
 * @example aggregatorName("web", "EU") === "web@EU"
 */
export function aggregatorName(poolId: string, region: string): string {
  return `${poolId}@${region}`;
}

/**
 * The id an aggregator reports under, as one isolate, from its Durable Object id: stable across
 * restarts, so the PoolState replaces its figures instead of counting a restarted one twice.
 */
export function aggregatorReporterId(objectId: string): string {
  return `aggregator:${objectId}`;
}

/** What one isolate's report adds to the next combined report beyond its in-flight figures. */
export interface PendingReport {
  /** Origins with completed requests in the isolate's period. */
  readonly origins: ReadonlyMap<string, OriginReport>;
  readonly metrics: MetricsDelta | null;
  /** The newest configuration version its isolates held (0: none named), which its series came from. */
  readonly configVersion: number;
}

/** A combined report on its way to the PoolState, with what it was made of. */
export interface Forward {
  readonly report: HealthReport;
  readonly metrics: MetricsDelta | null;
  readonly entries: readonly PendingReport[];
  /** The in-flight sums it announces. */
  readonly inflight: ReadonlyMap<string, number>;
}

/**
 * One report that says, to the PoolState, what `pending` said one by one in that order, with
 * `inflight` as its in-flight figures.
 * @example combineReports("aggregator:1", now, totals, pending)
 */
export function combineReports(
  reporterId: string,
  sentAt: number,
  inflight: ReadonlyMap<string, number>,
  pending: readonly PendingReport[],
): { report: HealthReport; metrics: MetricsDelta | null } {
  const origins: Record<string, OriginReport> = {};
  const latency = new Map<string, { sum: number; weight: number }>();
  for (const entry of pending) {
    for (const [name, figures] of entry.origins) {
      if (figures.requests <= 0) continue;
      const combined = originOf(origins, name);
      combined.consecutiveFailures = mergeStreak(combined.consecutiveFailures, figures);
      combined.requests += figures.requests;
      combined.failures += figures.failures;
      if (figures.latencyMsAvg === undefined) continue;
      const mean = latency.get(name) ?? { sum: 0, weight: 0 };
      mean.sum += figures.latencyMsAvg * figures.requests;
      mean.weight += figures.requests;
      latency.set(name, mean);
    }
  }
  for (const [name, mean] of latency) {
    const combined = origins[name];
    if (combined && mean.weight > 0) combined.latencyMsAvg = mean.sum / mean.weight;
  }
  for (const [name, count] of inflight) {
    if (count <= 0) continue;
    const combined = originOf(origins, name);
    combined.inflight = count;
  }
  const report: HealthReport = { isolateId: reporterId, sentAt, origins };
  const configVersion = pending.reduce((newest, entry) => Math.max(newest, entry.configVersion), 0);
  if (configVersion > 0) report.configVersion = configVersion;
  return { report, metrics: sumMetrics(pending) };
}

/** The combined figures of origin `name`, started at zero. */
function originOf(origins: Record<string, OriginReport>, name: string): OriginReport {
  let combined = origins[name];
  if (!combined) {
    combined = { inflight: 0, requests: 0, failures: 0, consecutiveFailures: 0 };
    origins[name] = combined;
  }
  return combined;
}

/** The series of every pending delta, added up; null when there are none. */
function sumMetrics(pending: readonly PendingReport[]): MetricsDelta | null {
  const sum = new SeriesSet(MAX_AGGREGATE_SERIES);
  for (const entry of pending) if (entry.metrics) sum.merge(entry.metrics);
  return sum.size > 0 ? sum.toDelta() : null;
}

/**
 * What an aggregator holds for one pool: the isolates' in-flight figures, the traffic and metrics
 * not forwarded yet, and when the next combined report is due. The clock is passed in.
 */
export class ReportAggregate {
  #inflight = new InflightTable();
  #pending: PendingReport[] = [];
  /** Origins that some pending report ends in failures of. */
  #failing = new Set<string>();
  /** In-flight sums of the last combined report the PoolState accepted. */
  #forwarded: ReadonlyMap<string, number> = new Map();
  #lastForwardAt = Number.NEGATIVE_INFINITY;
  #retryAt = 0;
  /** The PoolState's last answer; undefined before the first. */
  #snapshot: PoolSnapshot | null | undefined = undefined;

  /** The PoolState's latest snapshot (null: it does not know the pool); undefined before it answered. */
  get snapshot(): PoolSnapshot | null | undefined {
    return this.#snapshot;
  }

  /**
   * Takes one isolate's report in. Returns what it adds to the next combined report, or null when
   * it adds nothing but in-flight figures (which a newer report of the isolate replaces anyway).
   */
  add(report: NormalizedReport, metrics: MetricsDelta | null, now: number): PendingReport | null {
    const inflight: Record<string, number> = {};
    const traffic = new Map<string, OriginReport>();
    for (const [name, figures] of report.origins) {
      if (figures.inflight > 0) inflight[name] = figures.inflight;
      if (figures.requests > 0) traffic.set(name, figures);
    }
    this.#inflight.record(report.isolateId, report.sentAt, inflight, now);
    this.#inflight.prune(now);
    const hasMetrics = metrics !== null && metrics.counters.length + metrics.histograms.length > 0;
    if (traffic.size === 0 && !hasMetrics) return null;
    const entry: PendingReport = {
      origins: traffic,
      metrics: hasMetrics ? metrics : null,
      configVersion: report.configVersion,
    };
    this.#pending.push(entry);
    noteFailing(this.#failing, entry);
    if (this.#pending.length > MAX_PENDING_REPORTS) this.#fold();
    return entry;
  }

  /** Takes `entry` back out, for a sender that will send it again; false when it was forwarded. */
  withdraw(entry: PendingReport): boolean {
    const index = this.#pending.indexOf(entry);
    if (index < 0) return false;
    this.#pending.splice(index, 1);
    this.#failing.clear();
    for (const pending of this.#pending) noteFailing(this.#failing, pending);
    return true;
  }

  /**
   * Whether a pending report ends in failures of an origin that the PoolState's last snapshot does
   * not show as ejected: news that may eject it.
   */
  urgent(now: number): boolean {
    for (const name of this.#failing) {
      const ejectedUntil = this.#snapshot?.origins[name]?.ejectedUntil ?? null;
      if (ejectedUntil === null || ejectedUntil <= now) return true;
    }
    return false;
  }

  /**
   * When the next combined report is due (maybe now or past): soon after the last one for failures
   * that may eject an origin, an interval after it for other news, a heartbeat after it while the
   * PoolState counts requests in flight from here; null when there is nothing to say. Never before
   * the backoff after a failed forward ends.
   */
  dueAt(now: number): number | null {
    let wait: number;
    if (this.urgent(now)) wait = AGGREGATE_URGENT_GAP_MS;
    else if (this.#pending.length > 0 || !sameCounts(this.#inflight.totals(now), this.#forwarded)) {
      wait = AGGREGATE_INTERVAL_MS;
    } else if (this.#forwarded.size > 0) {
      wait = AGGREGATE_HEARTBEAT_MS;
    } else return null;
    return Math.max(this.#lastForwardAt + wait, this.#retryAt);
  }

  /**
   * Whether a report that just came in should be forwarded now: one is due, or the snapshot the
   * isolate would get is older than `AGGREGATE_ANSWER_MAX_AGE_MS`.
   */
  forwardNow(now: number): boolean {
    if (now < this.#retryAt) return false;
    if (now - this.#lastForwardAt >= AGGREGATE_ANSWER_MAX_AGE_MS) return true;
    const due = this.dueAt(now);
    return due !== null && due <= now;
  }

  /** Whether a forward is held back by the backoff of a failed one. */
  backingOff(now: number): boolean {
    return now < this.#retryAt;
  }

  /** Builds the combined report and takes the pending reports it carries. */
  take(reporterId: string, now: number): Forward {
    const inflight = this.#inflight.totals(now);
    const entries = this.#pending;
    this.#pending = [];
    this.#failing.clear();
    this.#lastForwardAt = now;
    const { report, metrics } = combineReports(reporterId, now, inflight, entries);
    report.isolates = Math.max(1, this.#inflight.isolates(now));
    return { report, metrics, entries, inflight };
  }

  /** The PoolState accepted `forward` and answered with `snapshot`. */
  accepted(forward: Forward, snapshot: PoolSnapshot | null): void {
    this.#forwarded = forward.inflight;
    this.#retryAt = 0;
    this.#snapshot = snapshot;
  }

  /** `forward` did not reach the PoolState: its reports go back ahead of newer ones until `retryAt`. */
  failed(forward: Forward, retryAt: number): void {
    this.#pending = [...forward.entries, ...this.#pending];
    for (const entry of forward.entries) noteFailing(this.#failing, entry);
    this.#retryAt = retryAt;
    if (this.#pending.length > MAX_PENDING_REPORTS) this.#fold();
  }

  /** Folds all but the newest pending reports into one that says the same to the PoolState. */
  #fold(): void {
    const older = this.#pending.slice(0, -KEPT_APART);
    const { report, metrics } = combineReports("", 0, new Map(), older);
    const configVersion = report.configVersion ?? 0;
    const folded: PendingReport = {
      origins: new Map(Object.entries(report.origins)),
      metrics,
      configVersion,
    };
    this.#pending = [folded, ...this.#pending.slice(-KEPT_APART)];
    this.#failing.clear();
    for (const entry of this.#pending) noteFailing(this.#failing, entry);
  }
}

/** Adds the origins `entry` ends in failures of to `failing`. */
function noteFailing(failing: Set<string>, entry: PendingReport): void {
  for (const [name, figures] of entry.origins) {
    if (figures.failures > 0 && figures.consecutiveFailures > 0) failing.add(name);
  }
}

function sameCounts(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, count] of a) if (b.get(name) !== count) return false;
  return true;
}
