/**
 * Where this isolate's pool reports go. By default (`REPORT_AGGREGATION` unset or `"off"`) to the
 * pool's PoolState; with `"region"`, to the ReportAggregator of the pool and this isolate's region
 * (durable-objects/report-aggregator/index.ts), which answers the same way.
 *
 * The region is the continent of the first request that names one (`request.cf.continent`), kept for
 * the isolate's life: an isolate serves one Cloudflare location, and an isolate whose reports moved
 * to another aggregator would be counted by both until the first forgot it (5 s). Until a request
 * names a continent (never, locally), the region is `XX`.
 *
 * Module scope holds plain data only.
 */
import type { Env } from "../env.ts";
import { aggregatorName, reportRegion, UNKNOWN_REGION } from "../health/aggregate.ts";
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

/**
 * Sends one pool report where `REPORT_AGGREGATION` says and returns the PoolState's snapshot.
 * @example const snapshot = await sendPoolReport(env, "web", report, metrics);
 */
export function sendPoolReport(
  env: Env,
  poolId: string,
  report: HealthReport,
  metrics: MetricsDelta | undefined,
): Promise<PoolSnapshot | null> {
  if (env.REPORT_AGGREGATION === "region") {
    const name = aggregatorName(poolId, region ?? UNKNOWN_REGION);
    return env.REPORT_AGGREGATOR.getByName(name).report(poolId, report, metrics);
  }
  return env.POOL_STATE.getByName(poolId).report(report, metrics);
}
