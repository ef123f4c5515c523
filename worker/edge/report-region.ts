/**
 * Where this isolate's pool reports go: to the pool's PoolState, or to the ReportAggregator of the
 * pool and this isolate's region (durable-objects/report-aggregator/index.ts), which answers the
 * same way. `REPORT_AGGREGATION = "region"` sends every report to the aggregator, `"off"` none;
 * unset or `"auto"`, a pool's reports follow the `aggregated` flag of the newest PoolState snapshot
 * this isolate got for it (the PoolState decides, worker/health/aggregation-mode.ts).
 *
 * A switch in auto mode moves the isolate's in-flight figures at once, so that they are counted
 * once: the report that brought the flag is sent again, in-flight figures only, to the new
 * destination, then an empty report (no figures) to the old one, which replaces the isolate's
 * figures there by none. Until that empty report is through, for at most one aggregator interval,
 * the figures may count on both paths or, the other way, on neither.
 *
 * The region is the continent of the first request that names one (`request.cf.continent`), kept for
 * the isolate's life: an isolate serves one Cloudflare location, and an isolate whose reports moved
 * to another aggregator would be counted by both until the first forgot it. Until a request names a
 * continent (never, locally), the region is `XX`.
 *
 * Module scope holds plain data only.
 */
import type { Env } from "../env.ts";
import { aggregatorName, reportRegion, UNKNOWN_REGION } from "../health/aggregate.ts";
import { aggregationSetting } from "../health/aggregation-mode.ts";
import type { HealthReport, PoolSnapshot } from "../health/types.ts";
import type { MetricsDelta } from "../metrics/series.ts";

let region: string | null = null;

/**
 * Learns this isolate's region from a request, unless it knows it already.
 * @example noteRequestRegion(c.req.raw);
 */
export function noteRequestRegion(request: Request): void {
  if (region !== null) return;
  const known = reportRegion(request.cf?.continent);
  if (known !== UNKNOWN_REGION) region = known;
}

/** Per pool in auto mode: whether its reports go through the aggregator, and the snapshot that said so. */
const routes = new Map<string, { aggregated: boolean; at: number }>();

/**
 * Sends one pool report where `REPORT_AGGREGATION` (and, in auto mode, the pool's PoolState) says
 * and returns the PoolState's snapshot.
 * @example const snapshot = await sendPoolReport(env, "web", report, metrics);
 */
export async function sendPoolReport(
  env: Env,
  poolId: string,
  report: HealthReport,
  metrics: MetricsDelta | undefined,
): Promise<PoolSnapshot | null> {
  const setting = aggregationSetting(env.REPORT_AGGREGATION);
  if (setting !== "auto") return sendTo(env, setting === "region", poolId, report, metrics);
  const route = routes.get(poolId) ?? { aggregated: false, at: Number.NEGATIVE_INFINITY };
  const snapshot = await sendTo(env, route.aggregated, poolId, report, metrics);
  // An aggregator may hand out a snapshot older than the one that moved the reports: only a newer
  // one moves them again.
  if (!snapshot || snapshot.at <= route.at) return snapshot;
  const aggregated = snapshot.aggregated === true;
  if (aggregated === route.aggregated || (await moveReports(env, poolId, report, aggregated))) {
    routes.set(poolId, { aggregated, at: snapshot.at });
  }
  return snapshot;
}

/** The pool's reports in auto mode go through the aggregator from now on; for tests and the status page. */
export function reportsAggregated(poolId: string): boolean {
  return routes.get(poolId)?.aggregated ?? false;
}

/**
 * Moves this isolate's in-flight figures of `report` to the new destination, then clears them at
 * the old one. False, moving nothing, when the new destination does not take them: the next report
 * tries again (the report itself went through, so it is not sent again). A failed clearing is
 * logged; the old destination then forgets the figures after 90 s.
 */
async function moveReports(
  env: Env,
  poolId: string,
  report: HealthReport,
  aggregated: boolean,
): Promise<boolean> {
  const origins: HealthReport["origins"] = {};
  for (const [name, figures] of Object.entries(report.origins)) {
    if (figures.inflight > 0) {
      origins[name] = { inflight: figures.inflight, requests: 0, failures: 0, consecutiveFailures: 0 };
    }
  }
  const { isolateId, sentAt } = report;
  try {
    await sendTo(env, aggregated, poolId, { isolateId, sentAt, origins }, undefined);
  } catch (error) {
    console.log(
      JSON.stringify({ event: "report_move_failed", pool: poolId, to: aggregated, error: String(error) }),
    );
    return false;
  }
  try {
    await sendTo(env, !aggregated, poolId, { isolateId, sentAt, origins: {} }, undefined);
  } catch (error) {
    console.log(JSON.stringify({ event: "report_clear_failed", pool: poolId, error: String(error) }));
  }
  return true;
}

function sendTo(
  env: Env,
  aggregated: boolean,
  poolId: string,
  report: HealthReport,
  metrics: MetricsDelta | undefined,
): Promise<PoolSnapshot | null> {
  if (aggregated) {
    const name = aggregatorName(poolId, region ?? UNKNOWN_REGION);
    return env.REPORT_AGGREGATOR.getByName(name).report(poolId, report, metrics);
  }
  return env.POOL_STATE.getByName(poolId).report(report, metrics);
}
