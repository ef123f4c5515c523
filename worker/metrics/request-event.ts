/**
 * One request a load balancer answered (through an origin, or by a `respond` or `redirect` rule) as
 * the outside world sees it: a sampled access-log line (one JSON object per line) and a Workers
 * Analytics Engine data point. Both are built here from plain data, so the
 * field layout is in one place and tested without the runtime. Pure.
 */
import { statusClass } from "./catalog.ts";

export interface RequestEvent {
  readonly requestId: string;
  readonly loadBalancer: string;
  /** Pool and origin of the last attempt; null when no origin could be tried. */
  readonly pool: string | null;
  readonly origin: string | null;
  readonly method: string;
  /** Status the client received. */
  readonly status: number;
  /** Attempts sent to origins (0 when none could be tried). */
  readonly attempts: number;
  /** From the request's arrival to its response headers. */
  readonly durationMs: number;
  readonly clientIp: string | null;
  /** Country of the client (`request.cf.country`), null when unknown. */
  readonly country: string | null;
  /**
   * The rule (its `name`) that answered (`respond`, `redirect`) or picked the pools (`pools`); null
   * when no rule matched.
   */
  readonly rule: string | null;
}

/** The data point's layout, documented in docs/operator-guide.md; append new fields, never reorder. */
export interface AnalyticsPoint {
  indexes: string[];
  blobs: string[];
  doubles: number[];
}

/**
 * Reads `REQUEST_LOG_SAMPLE_RATE`: a share of requests from 0 to 1; anything else, or unset, is 0.
 * @example parseSampleRate("0.01") // 0.01; parseSampleRate("lots") // 0
 */
export function parseSampleRate(value: unknown): number {
  const rate =
    typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : 0;
  if (!Number.isFinite(rate) || rate <= 0) return 0;
  return Math.min(rate, 1);
}

/**
 * Whether to log this request: `random()` is uniform in [0, 1), so a rate of 1 logs every request
 * and 0 none.
 */
export function sampled(rate: number, random: () => number): boolean {
  return rate > 0 && random() < rate;
}

/**
 * The access-log line of one request.
 * @example console.log(accessLogLine(event, Date.now()));
 */
export function accessLogLine(event: RequestEvent, now: number): string {
  return JSON.stringify({
    event: "request",
    at: new Date(now).toISOString(),
    requestId: event.requestId,
    loadBalancer: event.loadBalancer,
    pool: event.pool,
    origin: event.origin,
    method: event.method,
    status: event.status,
    attempts: event.attempts,
    ms: event.durationMs,
    clientIp: event.clientIp,
    country: event.country,
    rule: event.rule,
  });
}

/**
 * The Analytics Engine data point of one request. Blobs: load balancer, pool, origin, status class,
 * country ("" when unknown), rule ("" when no rule matched); doubles: status, duration in ms,
 * attempts; index: the load balancer (Analytics Engine samples by index, so each load balancer
 * keeps its own share).
 */
export function analyticsPoint(event: RequestEvent): AnalyticsPoint {
  return {
    indexes: [event.loadBalancer],
    blobs: [
      event.loadBalancer,
      event.pool ?? "",
      event.origin ?? "",
      statusClass(event.status),
      event.country ?? "",
      event.rule ?? "",
    ],
    doubles: [event.status, event.durationMs, event.attempts],
  };
}
