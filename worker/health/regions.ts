/**
 * Health checks from several regions (`healthCheck.regions`), pure. Each region's prober keeps its
 * own rise/fall verdict of every origin (the state machine of active.ts, per region); the origin's
 * verdict is the quorum of those: **healthy** when a strict majority of the configured regions see it
 * healthy, **unhealthy** when so many see it unhealthy that no such majority is left (half or more,
 * so an even split is unhealthy), else undecided, and then its previous verdict stands (regions that
 * have not reached a verdict yet, after regions were added or replaced). The origin's record carries
 * the combined verdict: the snapshot, the edge, pool health and events read it as they read a single
 * prober's, so an event is recorded once per change of the combined verdict.
 */
import { nextCheckState, type Thresholds } from "./active.ts";
import { originEvent } from "./events.ts";
import { isEjected } from "./pool-health.ts";
import type { CheckStatus, HealthEvent, OriginRecord } from "./types.ts";

/** One region's view of one origin. */
export interface RegionRecord {
  region: string;
  check: CheckStatus;
  successes: number;
  failures: number;
  lastCheckAt: number | null;
  lastError: string | null;
  /** Time to response headers of the region's last probe; null when it had no response. */
  latencyMs: number | null;
  /** When this region's current run of passing checks began; null after a failure. */
  passingSince: number | null;
}

/** How the configured regions see an origin now. */
export interface Quorum {
  /** The combined verdict, or `unknown` when no majority either way exists yet. */
  check: CheckStatus;
  healthy: number;
  unhealthy: number;
  regions: number;
}

/** What one regional probe found. */
export interface RegionalResult {
  region: string;
  ok: boolean;
  error: string | null;
  latencyMs: number | null;
  at: number;
}

export function newRegionRecord(region: string): RegionRecord {
  return {
    region,
    check: "unknown",
    successes: 0,
    failures: 0,
    lastCheckAt: null,
    lastError: null,
    latencyMs: null,
    passingSince: null,
  };
}

/**
 * The quorum of `regions` (the configured ones) over the views in `views`; a region without a view
 * has no verdict yet.
 * @example quorumOf(["wnam", "weur", "apac"], views).check // "unhealthy" when 2 of 3 fail it
 */
export function quorumOf(regions: readonly string[], views: ReadonlyMap<string, RegionRecord>): Quorum {
  let healthy = 0;
  let unhealthy = 0;
  for (const region of regions) {
    const check = views.get(region)?.check;
    if (check === "healthy") healthy++;
    else if (check === "unhealthy") unhealthy++;
  }
  const total = regions.length;
  const check: CheckStatus =
    total > 0 && healthy * 2 > total
      ? "healthy"
      : total > 0 && unhealthy * 2 >= total
        ? "unhealthy"
        : "unknown";
  return { check, healthy, unhealthy, regions: total };
}

/**
 * Applies one region's probe to its view and the origin's combined verdict; returns the event when
 * the combined verdict flips.
 * @example applyRegionalProbe("web", record, views, ["wnam", "weur", "apac"], result, check)
 */
export function applyRegionalProbe(
  pool: string,
  record: OriginRecord,
  views: Map<string, RegionRecord>,
  regions: readonly string[],
  result: RegionalResult,
  thresholds: Thresholds,
): HealthEvent | null {
  const view = views.get(result.region) ?? newRegionRecord(result.region);
  const next = nextCheckState(view, result.ok, thresholds);
  view.check = next.check;
  view.successes = next.successes;
  view.failures = next.failures;
  view.lastCheckAt = result.at;
  view.lastError = result.error;
  view.latencyMs = result.latencyMs;
  view.passingSince = result.ok ? (view.passingSince ?? result.at) : null;
  views.set(result.region, view);
  record.lastCheckAt = result.at;
  if (result.latencyMs !== null) record.latencyMs = result.latencyMs;
  return settleQuorum(pool, record, views, regions, result.at, thresholds);
}

/**
 * Sets the origin's combined verdict and counters from the regions' views (after a probe, or after
 * the configured regions changed); returns the event when the verdict flips. Counters: the success
 * and failure streaks a majority of regions has reached, and the start of the passing run shared by
 * that majority, so "passed `healthyThreshold` checks since the ejection began" (an ejection ended
 * by active checks) needs a majority of regions too.
 */
export function settleQuorum(
  pool: string,
  record: OriginRecord,
  views: ReadonlyMap<string, RegionRecord>,
  regions: readonly string[],
  now: number,
  thresholds: Pick<Thresholds, "healthyThreshold">,
): HealthEvent | null {
  const present = regions.flatMap((region) => {
    const view = views.get(region);
    return view ? [view] : [];
  });
  const majority = Math.floor(regions.length / 2) + 1;
  record.successes = nthLargest(
    present.map((view) => view.successes),
    majority,
  );
  record.failures = nthLargest(
    present.map((view) => view.failures),
    majority,
  );
  const passing = present.filter((view) => view.successes >= thresholds.healthyThreshold);
  record.passingSince =
    passing.length >= majority
      ? nthLargest(
          passing.map((view) => view.passingSince ?? 0),
          majority,
        ) || null
      : null;
  const failing = present.filter((view) => view.lastError !== null);
  record.lastError = failing.length > 0 ? regionalErrors(failing) : null;
  const quorum = quorumOf(regions, views);
  const previous = record.check;
  if (quorum.check === "unknown" || quorum.check === previous) return null;
  record.check = quorum.check;
  const by = `by ${quorum.check === "healthy" ? quorum.healthy : quorum.unhealthy} of ${quorum.regions} regions`;
  if (quorum.check === "unhealthy") {
    record.healthySince = null;
    return originEvent(
      pool,
      record.name,
      "origin_unhealthy",
      now,
      `origin ${record.name} is unhealthy ${by}: ${record.lastError ?? "failed"}`,
    );
  }
  if (previous === "unhealthy" && !isEjected(record, now)) record.healthySince = now;
  const message =
    previous === "unknown"
      ? `origin ${record.name} is healthy ${by}`
      : `origin ${record.name} is healthy again ${by}`;
  return originEvent(pool, record.name, "origin_healthy", now, message);
}

/**
 * The regions' verdicts of an origin in words (the snapshot's counts), for explain.
 * @example describeQuorum({ healthy: 1, unhealthy: 2, of: 3 }) === "unhealthy by 2 of 3 regions"
 */
export function describeQuorum(counts: { healthy: number; unhealthy: number; of: number }): string {
  const { healthy, unhealthy, of } = counts;
  if (healthy * 2 > of) return `healthy by ${healthy} of ${of} regions`;
  if (unhealthy * 2 >= of) return `unhealthy by ${unhealthy} of ${of} regions`;
  return `no majority of ${of} regions yet (${healthy} healthy, ${unhealthy} unhealthy): the previous verdict stands`;
}

function regionalErrors(failing: readonly RegionRecord[]): string {
  return failing.map((view) => `${view.region}: ${view.lastError ?? "failed"}`).join("; ");
}

/** The n-th largest of `values` (1 = the largest); 0 when there are fewer. */
function nthLargest(values: readonly number[], n: number): number {
  const sorted = [...values].sort((a, b) => b - a);
  return sorted[n - 1] ?? 0;
}
