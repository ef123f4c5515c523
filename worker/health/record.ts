/**
 * Changes to one origin's durable health record: probe results, traffic reports, ejection expiry,
 * checks turned off. Each returns the event it causes, or null, so every transition is recorded
 * exactly once. Pure: records are plain objects the DO persists.
 */
import { checksClearEjection, nextCheckState, passedChecksSince, type Thresholds } from "./active.ts";
import { originEvent } from "./events.ts";

export { originTarget } from "./identity.ts";

import { mergeStreak } from "./passive.ts";
import { isEjected } from "./pool-health.ts";
import type { HealthEvent, OriginRecord, OriginReport } from "./types.ts";

/** Weight of one new sample in the latency moving average. */
export const LATENCY_SMOOTHING = 0.2;

/** What a probe of one origin found. */
export interface ProbeResult {
  name: string;
  ok: boolean;
  error: string | null;
  /** Time to response headers; null when there was no response. */
  latencyMs: number | null;
  /** When the probe completed. */
  at: number;
}

/**
 * The record of an origin that just appeared (or whose address changed): no verdict, in service.
 * @example newRecord("eu-1", originTarget(origin), Date.now())
 */
export function newRecord(name: string, target: string, now: number): OriginRecord {
  return {
    name,
    target,
    addedAt: now,
    check: "unknown",
    successes: 0,
    failures: 0,
    healthySince: now,
    lastCheckAt: null,
    lastError: null,
    latencyMs: null,
    passiveStreak: 0,
    ejections: 0,
    ejectedUntil: null,
    ejectedAt: null,
    lastEjectionEnd: null,
    passingSince: null,
  };
}

/**
 * Applies one probe result; returns the event when the verdict flips.
 * @example applyProbe("web", record, { name: "eu-1", ok: false, error: "timeout after 5000 ms", latencyMs: null, at }, check)
 */
export function applyProbe(
  pool: string,
  record: OriginRecord,
  result: ProbeResult,
  thresholds: Thresholds,
): HealthEvent | null {
  const previous = record.check;
  const next = nextCheckState(record, result.ok, thresholds);
  record.check = next.check;
  record.successes = next.successes;
  record.failures = next.failures;
  record.lastCheckAt = result.at;
  record.lastError = result.error;
  if (!result.ok) record.passingSince = null;
  else record.passingSince ??= result.at;
  if (result.latencyMs !== null) record.latencyMs = smooth(record.latencyMs, result.latencyMs, 1);
  if (!next.changed) return null;
  if (next.check === "unhealthy") {
    record.healthySince = null;
    return originEvent(
      pool,
      record.name,
      "origin_unhealthy",
      result.at,
      `origin ${record.name} is unhealthy after ${next.failures} failed check${next.failures === 1 ? "" : "s"}: ${result.error ?? "failed"}`,
    );
  }
  if (previous === "unhealthy" && !isEjected(record, result.at)) record.healthySince = result.at;
  const message =
    previous === "unknown"
      ? `origin ${record.name} is healthy: first check passed`
      : `origin ${record.name} is healthy again after ${next.successes} successful checks`;
  return originEvent(pool, record.name, "origin_healthy", result.at, message);
}

/**
 * Folds one isolate's traffic into the record: failure streak and latency. Traffic to an origin
 * that is ejected right now is ignored (it comes from edges with an older snapshot).
 */
export function applyTraffic(record: OriginRecord, report: OriginReport, now: number): void {
  if (isEjected(record, now)) return;
  record.passiveStreak = mergeStreak(record.passiveStreak, report);
  const avg = report.latencyMsAvg;
  if (avg !== undefined && Number.isFinite(avg) && avg >= 0 && report.requests > 0) {
    record.latencyMs = smooth(record.latencyMs, avg, report.requests);
  }
}

/**
 * Ends an ejection that has run out (or, with `reason`, at once); returns the event, or null when
 * there was nothing to end. The event carries the time the ejection actually ended.
 */
export function endEjection(
  pool: string,
  record: OriginRecord,
  now: number,
  reason?: string,
): HealthEvent | null {
  if (record.ejectedUntil === null) return null;
  if (reason === undefined && record.ejectedUntil > now) return null;
  const end = Math.min(record.ejectedUntil, now);
  record.lastEjectionEnd = end;
  record.ejectedUntil = null;
  record.passiveStreak = 0;
  if (record.check !== "unhealthy") record.healthySince = end;
  const why = reason ?? "ejection ended";
  return originEvent(
    pool,
    record.name,
    "origin_returned",
    end,
    `origin ${record.name} is back in service: ${why}`,
  );
}

/**
 * Ends a running ejection once active checks cleared it (`checksClearEjection`); returns the event.
 * @example clearEjectionByChecks("web", record, pool.healthCheck, now)
 */
export function clearEjectionByChecks(
  pool: string,
  record: OriginRecord,
  thresholds: Pick<Thresholds, "healthyThreshold"> | null,
  now: number,
): HealthEvent | null {
  if (!isEjected(record, now)) return null;
  if (!checksClearEjection(passedChecksSince(record, thresholds), record.ejectedAt)) return null;
  const passed = record.successes;
  return endEjection(pool, record, now, `passed ${passed} active check${passed === 1 ? "" : "s"} in a row`);
}

/**
 * Forgets the active verdict when checks are turned off; an origin the checks held out of service
 * returns to it, which is an event.
 */
export function resetCheck(pool: string, record: OriginRecord, now: number): HealthEvent | null {
  const wasUnhealthy = record.check === "unhealthy";
  record.check = "unknown";
  record.successes = 0;
  record.failures = 0;
  record.lastCheckAt = null;
  record.lastError = null;
  record.passingSince = null;
  if (!wasUnhealthy) return null;
  if (!isEjected(record, now)) record.healthySince = now;
  return originEvent(
    pool,
    record.name,
    "origin_healthy",
    now,
    `origin ${record.name} is back in service: active health checks turned off`,
  );
}

/** Exponential moving average where `samples` new observations of `value` arrive at once. */
function smooth(previous: number | null, value: number, samples: number): number {
  if (previous === null) return value;
  const weight = 1 - (1 - LATENCY_SMOOTHING) ** Math.min(samples, 1000);
  return previous + weight * (value - previous);
}
