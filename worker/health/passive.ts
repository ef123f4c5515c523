/**
 * Passive health (outlier detection) from live traffic. Pure.
 *
 * An origin whose requests fail `consecutiveFailures` times in a row (5xx, connection errors,
 * timeouts) is ejected for `ejectionSeconds × n` on its n-th ejection, n capped at 10. The count
 * decays by one for every `2 × ejectionSeconds` the origin serves without a new ejection, so only an
 * origin that fails again soon after coming back stays out longer. At most `maxEjectionPercent` of
 * the pool's enabled origins are ejected at once, but at least one when the percentage is above 0
 * (a pool of one or two origins can still shed a failing one; 0 turns ejection off).
 */
import type { Origin, PassiveHealth } from "../config/schema.ts";
import { originEvent } from "./events.ts";
import { isEjected } from "./pool-health.ts";
import type { HealthEvent, OriginRecord, OriginReport } from "./types.ts";

export const MAX_EJECTION_MULTIPLIER = 10;
/** Serving this many base ejection times without a new ejection forgives one past ejection. */
export const EJECTION_DECAY_MULTIPLE = 2;

/**
 * The ejection count after decay: how many recent ejections still weigh on the next one.
 * @example decayedEjections(3, end, 30, end + 60_000) === 2
 */
export function decayedEjections(
  ejections: number,
  lastEjectionEnd: number | null,
  ejectionSeconds: number,
  now: number,
): number {
  if (ejections <= 0 || lastEjectionEnd === null || now <= lastEjectionEnd) return Math.max(0, ejections);
  const forgiven = Math.floor((now - lastEjectionEnd) / (EJECTION_DECAY_MULTIPLE * ejectionSeconds * 1000));
  return Math.max(0, ejections - forgiven);
}

/**
 * How long the n-th ejection (counting from 1) lasts.
 * @example ejectionDurationMs(2, 30) === 60_000
 */
export function ejectionDurationMs(ejection: number, ejectionSeconds: number): number {
  const multiplier = Math.min(Math.max(1, ejection), MAX_EJECTION_MULTIPLIER);
  return multiplier * ejectionSeconds * 1000;
}

/**
 * How many of `origins` enabled origins may be ejected at the same time.
 * @example maxEjectable(1, 50) === 1; maxEjectable(10, 50) === 5; maxEjectable(4, 0) === 0
 */
export function maxEjectable(origins: number, maxEjectionPercent: number): number {
  if (origins <= 0 || maxEjectionPercent <= 0) return 0;
  return Math.max(1, Math.floor((origins * maxEjectionPercent) / 100));
}

/**
 * Merges one isolate's report into the pool-wide failure streak: a period with a success restarts
 * the streak at the isolate's trailing failures; a period of failures only extends it.
 */
export function mergeStreak(
  streak: number,
  report: Pick<OriginReport, "requests" | "failures" | "consecutiveFailures">,
): number {
  if (report.requests <= 0) return streak;
  if (report.requests > report.failures) return report.consecutiveFailures;
  return streak + report.failures;
}

/**
 * Ejects the origins whose failure streak reached the threshold, as long as the cap allows, and
 * returns one event per ejection. An origin over the threshold but held back by the cap keeps its
 * streak and is ejected on a later report, once another ejection has ended.
 */
export function ejectOutliers(
  pool: string,
  origins: readonly Pick<Origin, "name" | "enabled">[],
  records: ReadonlyMap<string, OriginRecord>,
  passive: PassiveHealth,
  now: number,
): HealthEvent[] {
  if (!passive.enabled) return [];
  const candidates = origins.filter((o) => o.enabled);
  const cap = maxEjectable(candidates.length, passive.maxEjectionPercent);
  let ejected = candidates.filter((o) => {
    const record = records.get(o.name);
    return record !== undefined && isEjected(record, now);
  }).length;
  const events: HealthEvent[] = [];
  for (const origin of candidates) {
    const record = records.get(origin.name);
    if (!record || isEjected(record, now) || record.passiveStreak < passive.consecutiveFailures) continue;
    if (ejected >= cap) continue;
    const ejection =
      decayedEjections(record.ejections, record.lastEjectionEnd, passive.ejectionSeconds, now) + 1;
    const duration = ejectionDurationMs(ejection, passive.ejectionSeconds);
    const streak = record.passiveStreak;
    record.ejections = ejection;
    record.ejectedUntil = now + duration;
    record.healthySince = null;
    record.passiveStreak = 0;
    ejected++;
    events.push(
      originEvent(
        pool,
        origin.name,
        "origin_ejected",
        now,
        `origin ${origin.name} ejected for ${duration / 1000} s after ${streak} failed request${streak === 1 ? "" : "s"} in a row (ejection ${ejection})`,
      ),
    );
  }
  return events;
}
