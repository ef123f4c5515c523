/**
 * This isolate's request metrics since its last report to each pool: counters by load balancer,
 * pool, origin and outcome, and latency histograms. Plain data in module scope, one series set per
 * pool; the pool's next report takes the delta (`takeMetricsDelta`) and the PoolState adds it to
 * the pool's running totals, which `/__lb/metrics` shows. Recording costs a few map updates and
 * never waits for anything.
 */
import type { LoadBalancer } from "../config/schema.ts";
import { type AttemptOutcomeLabel, statusClass } from "../metrics/catalog.ts";
import { type Labels, type MetricsDelta, type SeriesRef, SeriesSet, seriesRef } from "../metrics/series.ts";
import type { PoolChoice } from "../routing/choose-pool.ts";
import type { CompiledRule } from "../routing/rules.ts";
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
  const refs = originRefs(record.loadBalancer, record.pool, record.origin);
  const label: AttemptOutcomeLabel = outcome.error ?? statusClass(outcome.status ?? 0);
  series.addRef(refs.labelled("edge_lb_attempts_total", "outcome", label));
  if (isFailure(outcome)) {
    series.addRef(refs.labelled("edge_lb_errors_total", "kind", outcome.error ?? "5xx"));
  }
  if (record.attempt > 1) series.addRef(refs.retries);
  series.observeRef(refs.originResponse, outcome.latencyMs);
}

/**
 * Counts one mirrored copy of a request, into the mirror pool's series: its own metrics, apart from
 * the attempts and errors that passive health reads.
 * @example recordMirror("www", "shadow", "s1", { status: 200, error: null, latencyMs: 12 });
 */
export function recordMirror(
  loadBalancer: string,
  pool: string,
  origin: string,
  outcome: AttemptOutcome,
): void {
  const series = seriesOf(pool);
  const labels = { load_balancer: loadBalancer, pool, origin };
  const label: AttemptOutcomeLabel = outcome.error ?? statusClass(outcome.status ?? 0);
  series.add("edge_lb_mirror_requests_total", { ...labels, outcome: label });
  series.observe("edge_lb_mirror_response_seconds", labels, outcome.latencyMs);
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
  const refs = originRefs(loadBalancer, served.pool, served.origin);
  series.addRef(refs.labelled("edge_lb_requests_total", "status_class", statusClass(record.status)));
  series.observeRef(refs.requestDuration, record.durationMs);
  if (record.choice && servedByFailover(record.choice, record.pinnedPool, served.pool)) {
    series.addRef(refs.failoverRequests);
  }
  return served.pool;
}

/** The series a rule's answers count into, and the pool whose reports carry it. */
interface RuleRef {
  readonly carrier: string;
  readonly series: SeriesRef;
}

/**
 * Per compiled rule (one per configuration version), its series, identified on its first answer:
 * every label comes from the configuration, none from the request, so clients cannot add series.
 */
const ruleRefs = new WeakMap<CompiledRule, RuleRef | null>();

/**
 * Counts one request that a `respond` or `redirect` rule of `loadBalancer` answered itself. The
 * load balancer's first pool carries the count, as for requests no origin could take. Returns that
 * pool; null for a rule that sends to pools (those requests are counted where an origin serves them)
 * or a load balancer without pools.
 * @example const carrier = recordRuleResponse(lb, match.rule); if (carrier) notePoolActivity(carrier);
 */
export function recordRuleResponse(loadBalancer: LoadBalancer, rule: CompiledRule): string | null {
  let ref = ruleRefs.get(rule);
  if (ref === undefined) {
    ref = ruleRefOf(loadBalancer, rule);
    ruleRefs.set(rule, ref);
  }
  if (ref === null) return null;
  seriesOf(ref.carrier).addRef(ref.series);
  return ref.carrier;
}

function ruleRefOf(loadBalancer: LoadBalancer, rule: CompiledRule): RuleRef | null {
  const carrier = loadBalancer.pools[0];
  const action = rule.action;
  if (carrier === undefined || action.kind === "pools") return null;
  const status = action.kind === "respond" ? action.respond.status : action.redirect.status;
  const labels = {
    load_balancer: loadBalancer.id,
    rule: rule.name,
    action: action.kind,
    status_class: statusClass(status),
  };
  return { carrier, series: seriesRef("edge_lb_rule_responses_total", labels) };
}

/**
 * The series one origin of one pool counts into for one load balancer, identified once: the labels
 * repeat on every request, so their keys are computed on first use only.
 */
class OriginRefs {
  readonly retries: SeriesRef;
  readonly originResponse: SeriesRef;
  readonly requestDuration: SeriesRef;
  readonly failoverRequests: SeriesRef;
  readonly #labels: Labels;
  /** Per metric name, its series by the value of the extra label. */
  readonly #labelled = new Map<string, Map<string, SeriesRef>>();

  constructor(loadBalancer: string, pool: string, origin: string) {
    const labels = { load_balancer: loadBalancer, pool, origin };
    const poolLabels = { load_balancer: loadBalancer, pool };
    this.#labels = labels;
    this.retries = seriesRef("edge_lb_retries_total", labels);
    this.originResponse = seriesRef("edge_lb_origin_response_seconds", labels);
    this.requestDuration = seriesRef("edge_lb_request_duration_seconds", poolLabels);
    this.failoverRequests = seriesRef("edge_lb_failover_requests_total", poolLabels);
  }

  /** The series `name` with the origin's labels plus `label`=`value`. */
  labelled(name: string, label: string, value: string): SeriesRef {
    let byValue = this.#labelled.get(name);
    if (!byValue) {
      byValue = new Map();
      this.#labelled.set(name, byValue);
    }
    let ref = byValue.get(value);
    if (!ref) {
      ref = seriesRef(name, { ...this.#labels, [label]: value });
      byValue.set(value, ref);
    }
    return ref;
  }
}

/** Bound on remembered origins, so names that churn cannot grow the isolate's memory. */
const MAX_ORIGIN_REFS = 10_000;
const refsByOrigin = new Map<string, Map<string, Map<string, OriginRefs>>>();
let originRefCount = 0;

/**
 * Drops the series references of load balancers and pools no longer configured; returns the origins
 * still referenced.
 */
export function forgetMetricRefs(loadBalancerIds: ReadonlySet<string>, poolIds: ReadonlySet<string>): number {
  originRefCount = 0;
  for (const [lb, pools] of refsByOrigin) {
    if (!loadBalancerIds.has(lb)) {
      refsByOrigin.delete(lb);
      continue;
    }
    for (const [pool, origins] of pools) {
      if (poolIds.has(pool)) originRefCount += origins.size;
      else pools.delete(pool);
    }
  }
  return originRefCount;
}

function originRefs(loadBalancer: string, pool: string, origin: string): OriginRefs {
  if (originRefCount >= MAX_ORIGIN_REFS) {
    refsByOrigin.clear();
    originRefCount = 0;
  }
  let pools = refsByOrigin.get(loadBalancer);
  if (!pools) {
    pools = new Map();
    refsByOrigin.set(loadBalancer, pools);
  }
  let origins = pools.get(pool);
  if (!origins) {
    origins = new Map();
    pools.set(pool, origins);
  }
  let refs = origins.get(origin);
  if (!refs) {
    refs = new OriginRefs(loadBalancer, pool, origin);
    origins.set(origin, refs);
    originRefCount++;
  }
  return refs;
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
  if (series.droppedSeries > 0) {
    // Never silent: the cap kept these updates out of the report (the PoolState counts its own).
    console.log(
      JSON.stringify({
        event: "metric_series_dropped",
        pool: poolId,
        updates: series.droppedSeries,
        maxSeries: MAX_SERIES_PER_POOL,
      }),
    );
  }
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
