/**
 * This isolate's request metrics since its last report to each pool: counters by load balancer,
 * pool, origin and outcome, and latency histograms. Plain data in module scope, one series set per
 * pool; the pool's next report takes the delta (`takeMetricsDelta`) and the PoolState adds it to
 * the pool's running totals, which `/__lb/metrics` shows. Recording costs a few map updates and
 * never waits for anything.
 */
import type { LoadBalancer } from "../config/schema.ts";
import { type AttemptOutcomeLabel, statusClass } from "../metrics/catalog.ts";
import { type MetricsDelta, SeriesSet } from "../metrics/series.ts";
import type { PoolChoice } from "../routing/choose-pool.ts";
import { type AttemptOutcome, isFailure } from "./outcomes.ts";

/**
 * Series kept per pool between two reports. The configuration bounds them (load balancers x origins x
 * outcomes); the cap only guards against a pool whose reports keep failing while names churn.
 */
const MAX_SERIES_PER_POOL = 20_000;

const pending = new Map<string, SeriesSet>();

export interface AttemptRecord {
  readonly loadBalancer: string;
  readonly pool: string;
  readonly origin: string;
  readonly outcome: AttemptOutcome;
  /** 1 for the request's first attempt, 2 for its first retry, ... */
  readonly attempt: number;
}

export interface RequestRecord {
  readonly loadBalancer: LoadBalancer;
  /** The pool decision of the request. */
  readonly choice: PoolChoice | null;
  /** The pool a session-affinity pin named, when the request carried one. */
  readonly pinnedPool: string | null;
  /** Pool and origin of the last attempt; null when no origin could be tried (503). */
  readonly served: { readonly pool: string; readonly origin: string } | null;
  /** Status the client received. */
  readonly status: number;
  /** From the request's arrival to its response headers. */
  readonly durationMs: number;
}

/**
 * Counts one finished attempt to an origin.
 * @example recordAttempt({ loadBalancer: "www", pool: "web", origin: "a", outcome, attempt: 1 });
 */
export function recordAttempt(record: AttemptRecord): void {
  const { outcome } = record;
  const series = seriesOf(record.pool);
  const labels = { load_balancer: record.loadBalancer, pool: record.pool, origin: record.origin };
  const label: AttemptOutcomeLabel = outcome.error ?? statusClass(outcome.status ?? 0);
  series.add("edge_lb_attempts_total", { ...labels, outcome: label });
  if (isFailure(outcome)) series.add("edge_lb_errors_total", { ...labels, kind: outcome.error ?? "5xx" });
  if (record.attempt > 1) series.add("edge_lb_retries_total", labels);
  series.observe("edge_lb_origin_response_seconds", labels, outcome.latencyMs);
}

/**
 * Counts one request the proxy answered after matching a load balancer. Returns the pool whose next
 * report carries the counts: the pool of the last attempt; for a request no origin could take, the
 * chosen pool or else the load balancer's first pool.
 */
export function recordRequest(record: RequestRecord): string | null {
  const loadBalancer = record.loadBalancer.id;
  const served = record.served;
  if (!served) {
    const carrier = record.choice?.pool?.id ?? record.loadBalancer.pools[0];
    if (carrier === undefined) return null;
    seriesOf(carrier).add("edge_lb_unserved_requests_total", { load_balancer: loadBalancer });
    return carrier;
  }
  const series = seriesOf(served.pool);
  const pool = { load_balancer: loadBalancer, pool: served.pool };
  series.add("edge_lb_requests_total", {
    ...pool,
    origin: served.origin,
    status_class: statusClass(record.status),
  });
  series.observe("edge_lb_request_duration_seconds", pool, record.durationMs);
  if (record.choice && servedByFailover(record.choice, record.pinnedPool, served.pool)) {
    series.add("edge_lb_failover_requests_total", pool);
  }
  return served.pool;
}

/**
 * Whether a request went to `servedPool` because a pool before it in the steering order could not
 * serve: steering skipped a pool, the fallback pool served, or a retry moved to another pool.
 * @example servedByFailover(choice, null, "web-us") // true when "web-eu" was skipped
 */
export function servedByFailover(choice: PoolChoice, pinnedPool: string | null, servedPool: string): boolean {
  if (choice.pool && choice.pool.id !== servedPool) return true;
  if (choice.via === "fallback") return true;
  if (choice.via !== "steering") return false;
  // A pin that could not be honoured is the first entry; it says nothing about steering.
  const first = choice.considered[0];
  const pinEntry = pinnedPool !== null && first?.pool === pinnedPool && first.verdict === "skipped";
  return choice.considered.length > (pinEntry ? 2 : 1);
}

/** Whether the pool has counts its next report should carry. */
export function hasMetricsDelta(poolId: string): boolean {
  return (pending.get(poolId)?.size ?? 0) > 0;
}

/**
 * The pool's counts since the last call, which are forgotten here; null when there are none.
 * @example const metrics = takeMetricsDelta(poolId); await stub.report(report, metrics ?? undefined);
 */
export function takeMetricsDelta(poolId: string): MetricsDelta | null {
  const series = pending.get(poolId);
  if (!series || series.size === 0) return null;
  pending.delete(poolId);
  return series.toDelta();
}

/** Puts back the counts of a report that failed, so the next one carries them. */
export function restoreMetricsDelta(poolId: string, delta: MetricsDelta | null): void {
  if (!delta) return;
  seriesOf(poolId).merge(delta);
}

function seriesOf(poolId: string): SeriesSet {
  let series = pending.get(poolId);
  if (!series) {
    series = new SeriesSet(MAX_SERIES_PER_POOL);
    pending.set(poolId, series);
  }
  return series;
}
