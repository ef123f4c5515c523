/**
 * Passive health (outlier detection) from live traffic. Pure.
 *
 * An origin whose requests fail `consecutiveFailures` times in a row (5xx, connection errors,
 * timeouts) is ejected for `ejectionSeconds × n` on its n-th ejection, n capped at 10. The count
 * decays by one for every `2 × ejectionSeconds` the origin serves without a new ejection, so only an
 * origin that fails again soon after coming back stays out longer. At most `maxEjectionPercent` of
 * the pool's enabled origins are ejected at once (rounded down: with 50 %, none of a pool of one),
 * and passive ejection never takes out the last usable origin of a pool. What counts as a failure
 * is the pool's `failOn`: by default only what says the origin (not the application) is unwell.
 */
import type { Origin, PassiveHealth } from "../config/schema.ts";
import { originEvent } from "./events.ts";
import { exceedsFailureRate } from "./failure-rate.ts";
import { isEjected } from "./pool-health.ts";
import type { HealthEvent, OriginRecord, OriginReport } from "./types.ts";

export const MAX_EJECTION_MULTIPLIER = 10;
const NO_TRAFFIC = (): { requests: number; failures: number } => ({ requests: 0, failures: 0 });
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
 * @example maxEjectable(1, 50) === 0; maxEjectable(2, 50) === 1; maxEjectable(10, 50) === 5
 */
export function maxEjectable(origins: number, maxEjectionPercent: number): number {
  if (origins <= 0 || maxEjectionPercent <= 0) return 0;
  return Math.floor((origins * maxEjectionPercent) / 100);
}

/** Statuses that say the origin (or the way to it) failed, not the application: `failOn: "gateway"`. */
const GATEWAY_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);
const LOOP_DETECTED = 508;

/** The part of an attempt's outcome passive health judges. */
export interface PassiveOutcome {
  readonly status: number | null;
  /** `timeout`, `connect`, or `client` (the client or the runtime broke the attempt: never counted). */
  readonly error: string | null;
}

/**
 * Whether an attempt counts against the origin's passive health. `gateway`: connection failures,
 * timeouts, 502, 503 and 504; `5xx`: those and every other 5xx but 508 (a loop, see
 * docs/health.md). An attempt the client or the runtime broke (`client`) never counts.
 * @example isPassiveFailure({ status: 500, error: null }, "gateway") === false
 */
export function isPassiveFailure(outcome: PassiveOutcome, failOn: PassiveHealth["failOn"]): boolean {
  if (outcome.error !== null) return outcome.error === "timeout" || outcome.error === "connect";
  const status = outcome.status;
  if (status === null || status < 500 || status > 599) return false;
  return failOn === "5xx" ? status !== LOOP_DETECTED : GATEWAY_STATUSES.has(status);
}

/** What decides whether one more origin of a pool may be ejected. */
export interface EjectionRoom {
  /** Enabled origins of the pool. */
  readonly enabled: number;
  /** Of those, ejected now (not counting the candidate). */
  readonly ejected: number;
  /** Usable origins other than the candidate: enabled, weight above 0, not failed by active checks, not ejected. */
  readonly usableOthers: number;
}

/**
 * Whether passive checks may eject one more origin: within `maxEjectionPercent` of the enabled
 * origins, and never the last usable one (a pool must keep an origin to serve with).
 * @example mayEject({ enabled: 2, ejected: 0, usableOthers: 1 }, 50) === true
 */
export function mayEject(room: EjectionRoom, maxEjectionPercent: number): boolean {
  if (room.usableOthers <= 0) return false;
  return room.ejected < maxEjectable(room.enabled, maxEjectionPercent);
}

/**
 * The room for ejecting `name` from `pool`, given who is ejected or out (`out(origin)`: ejected,
 * failed by active checks) right now.
 */
export function ejectionRoom(
  pool: { readonly origins: readonly Origin[] },
  name: string,
  ejected: (origin: Origin) => boolean,
  unhealthy: (origin: Origin) => boolean,
): EjectionRoom {
  let enabled = 0;
  let out = 0;
  let usableOthers = 0;
  for (const origin of pool.origins) {
    if (!origin.enabled) continue;
    enabled++;
    if (origin.name === name) continue;
    const isEjected = ejected(origin);
    if (isEjected) out++;
    if (!isEjected && !unhealthy(origin) && origin.weight > 0) usableOthers++;
  }
  return { enabled, ejected: out, usableOthers };
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
 * Ejects the origins whose failure streak reached the threshold, or whose failure rate over the
 * last 10 s (`rate`, with `failureRatePercent`) is too high, as long as the cap allows, and
 * returns one event per ejection. An origin over the threshold but held back by the cap keeps its
 * streak and is ejected on a later report, once another ejection has ended.
 */
export function ejectOutliers(
  pool: string,
  origins: readonly Origin[],
  records: ReadonlyMap<string, OriginRecord>,
  passive: PassiveHealth,
  now: number,
  rate: (name: string) => { requests: number; failures: number } = NO_TRAFFIC,
): HealthEvent[] {
  if (!passive.enabled) return [];
  const events: HealthEvent[] = [];
  const ejected = (origin: Origin): boolean => {
    const record = records.get(origin.name);
    return record !== undefined && isEjected(record, now);
  };
  const unhealthy = (origin: Origin): boolean => records.get(origin.name)?.check === "unhealthy";
  for (const origin of origins) {
    if (!origin.enabled) continue;
    const record = records.get(origin.name);
    if (!record || isEjected(record, now)) continue;
    const streaked = record.passiveStreak >= passive.consecutiveFailures;
    const totals = streaked ? null : rate(origin.name);
    if (!streaked && (totals === null || !exceedsFailureRate(totals, passive))) continue;
    const room = ejectionRoom({ origins }, origin.name, ejected, unhealthy);
    if (!mayEject(room, passive.maxEjectionPercent)) continue;
    const streak = record.passiveStreak;
    const why =
      totals === null
        ? `after ${streak} failed request${streak === 1 ? "" : "s"} in a row`
        : `after ${totals.failures} of its ${totals.requests} requests in the last 10 s failed (failureRatePercent ${passive.failureRatePercent})`;
    events.push(ejectRecord(pool, record, passive, now, why));
  }
  return events;
}

/** Ejects one origin now: the duration grows with its recent ejections. Returns the event. */
export function ejectRecord(
  pool: string,
  record: OriginRecord,
  passive: PassiveHealth,
  now: number,
  why: string,
): HealthEvent {
  const ejection =
    decayedEjections(record.ejections, record.lastEjectionEnd, passive.ejectionSeconds, now) + 1;
  const duration = ejectionDurationMs(ejection, passive.ejectionSeconds);
  record.ejections = ejection;
  record.ejectedAt = now;
  record.ejectedUntil = now + duration;
  record.healthySince = null;
  record.passiveStreak = 0;
  // Checks end the ejection only with a fresh run of passes, all after it began (active.ts).
  record.successes = 0;
  record.passingSince = null;
  return originEvent(
    pool,
    record.name,
    "origin_ejected",
    now,
    `origin ${record.name} ejected for ${duration / 1000} s ${why} (ejection ${ejection})`,
  );
}
