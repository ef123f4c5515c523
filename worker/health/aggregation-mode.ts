/**
 * Whether a pool's reports go through the regional aggregators (docs/scale.md, "Regional
 * aggregation"), pure. `REPORT_AGGREGATION` overrides: `"region"` always, `"off"` never; unset or
 * `"auto"`, the pool's PoolState decides from the number of isolates that reported to it in the last
 * `INFLIGHT_STALE_MS` (90 s; an aggregator counts for the isolates it speaks for), with hysteresis:
 * on above `AGGREGATE_ON_ABOVE`, off below `AGGREGATE_OFF_BELOW`, unchanged in between.
 */

/** Reporting isolates above which a pool's reports go through the aggregators (auto). */
export const AGGREGATE_ON_ABOVE = 500;
/** Reporting isolates below which an aggregated pool's reports go straight to its PoolState again. */
export const AGGREGATE_OFF_BELOW = 300;

export type AggregationSetting = "region" | "off" | "auto";

/**
 * The setting a `REPORT_AGGREGATION` value means: `"region"`, `"off"`, or `"auto"` for anything else
 * (unset included).
 * @example aggregationSetting(env.REPORT_AGGREGATION) // "auto"
 */
export function aggregationSetting(value: unknown): AggregationSetting {
  return value === "region" || value === "off" ? value : "auto";
}

/**
 * Whether the pool is aggregated now, given whether it was and how many isolates report to it.
 * @example nextAggregated("auto", false, 501) === true
 */
export function nextAggregated(setting: AggregationSetting, aggregated: boolean, reporters: number): boolean {
  if (setting === "region") return true;
  if (setting === "off") return false;
  if (reporters > AGGREGATE_ON_ABOVE) return true;
  if (reporters < AGGREGATE_OFF_BELOW) return false;
  return aggregated;
}
