/**
 * The active check state machine of one origin (rise/fall).
 *
 * `unknown` → `healthy` on the first successful probe, so a new pool serves at once;
 * `unknown` → `unhealthy` after `unhealthyThreshold` failed probes in a row, like a healthy origin.
 * `healthy` → `unhealthy` after `unhealthyThreshold` failures in a row (fall);
 * `unhealthy` → `healthy` after `healthyThreshold` successes in a row (rise).
 * Any other result only moves the counters, so a flapping origin keeps its current verdict.
 */
import type { CheckStatus, OriginRecord } from "./types.ts";

export interface CheckCounters {
  check: CheckStatus;
  /** Consecutive successful probes. */
  successes: number;
  /** Consecutive failed probes. */
  failures: number;
}

export interface Thresholds {
  healthyThreshold: number;
  unhealthyThreshold: number;
}

/**
 * The counters after one probe; `changed` is true exactly when the verdict flips, so the caller
 * emits one event per transition.
 * @example nextCheckState({ check: "unknown", successes: 0, failures: 0 }, true, t).check === "healthy"
 */
export function nextCheckState(
  current: CheckCounters,
  ok: boolean,
  thresholds: Thresholds,
): CheckCounters & { changed: boolean } {
  if (ok) {
    const successes = current.successes + 1;
    const rises =
      current.check === "unknown" ||
      (current.check === "unhealthy" && successes >= thresholds.healthyThreshold);
    const check = rises ? "healthy" : current.check;
    return { check, successes, failures: 0, changed: check !== current.check };
  }
  const failures = current.failures + 1;
  const falls = current.check !== "unhealthy" && failures >= thresholds.unhealthyThreshold;
  const check = falls ? "unhealthy" : current.check;
  return { check, successes: 0, failures, changed: check !== current.check };
}

/**
 * Whether active checks have cleared an ejection that began at `ejectedAt`: `healthyThreshold`
 * checks in a row passed, the first of them after the ejection began. Envoy's
 * `successful_active_health_check_uneject_host`, with the rise threshold so that one lucky probe
 * does not end it. Used by the PoolState and by every isolate for its own ejections.
 * @example checksClearEjection(snapshot.passingSince, local.ejectedAt)
 */
export function checksClearEjection(passingSince: number | null, ejectedAt: number | null): boolean {
  return passingSince !== null && ejectedAt !== null && passingSince > ejectedAt;
}

/**
 * The start of the record's run of passing checks once it is `healthyThreshold` long, else null:
 * what the snapshot carries as `passingSince`.
 */
export function passedChecksSince(
  record: Pick<OriginRecord, "passingSince" | "successes" | "check">,
  thresholds: Pick<Thresholds, "healthyThreshold"> | null,
): number | null {
  if (thresholds === null || record.check === "unhealthy") return null;
  return record.successes >= thresholds.healthyThreshold ? record.passingSince : null;
}
