/**
 * Reading an edge report defensively: the DO trusts nothing it did not compute itself, so malformed
 * figures are dropped or clamped instead of corrupting pool-wide state. Pure.
 */
import type { HealthReport, OriginReport } from "./types.ts";

const MAX_COUNT = 1_000_000_000;

export interface NormalizedReport {
  isolateId: string;
  sentAt: number;
  /** How many isolates the report speaks for (an aggregator's count), at least 1. */
  isolates: number;
  /** Only origins the pool has, with sane figures. */
  origins: Map<string, OriginReport>;
  /** The configuration version the isolate held; 0 when it named none. */
  configVersion: number;
}

/**
 * The usable part of a report, or null when it cannot be attributed to an isolate.
 * @example normalizeReport(batch, (name) => records.has(name))
 */
export function normalizeReport(
  batch: HealthReport,
  known: (name: string) => boolean,
): NormalizedReport | null {
  if (typeof batch !== "object" || batch === null) return null;
  const { isolateId, sentAt, origins } = batch;
  if (typeof isolateId !== "string" || isolateId.length === 0 || isolateId.length > 256) return null;
  if (typeof sentAt !== "number" || !Number.isFinite(sentAt)) return null;
  const isolates = Math.max(1, count(batch.isolates));
  const configVersion = Number.isSafeInteger(batch.configVersion) ? Math.max(0, batch.configVersion ?? 0) : 0;
  const result = new Map<string, OriginReport>();
  if (typeof origins !== "object" || origins === null)
    return { isolateId, sentAt, isolates, origins: result, configVersion };
  for (const [name, figures] of Object.entries(origins)) {
    if (!known(name) || typeof figures !== "object" || figures === null) continue;
    const requests = count(figures.requests);
    const report: OriginReport = {
      inflight: count(figures.inflight),
      requests,
      failures: Math.min(count(figures.failures), requests),
      consecutiveFailures: count(figures.consecutiveFailures),
    };
    const avg = figures.latencyMsAvg;
    if (typeof avg === "number" && Number.isFinite(avg) && avg >= 0) report.latencyMsAvg = avg;
    result.set(name, report);
  }
  return { isolateId, sentAt, isolates, origins: result, configVersion };
}

function count(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) return 0;
  return Math.min(Math.floor(value), MAX_COUNT);
}
