/**
 * `GET /__lb/metrics` (read or admin token): the Prometheus exposition of every configured pool,
 * gathered from the pools' PoolState objects a few at a time. A PoolState that fails or is slow is
 * left out and counted in `edge_lb_scrape_errors`; the scrape itself still answers 200.
 *
 * Each PoolState is handed the load balancers that use its pool in the configuration read here, so
 * that it deletes for good the series of deleted load balancers and rules (worker/metrics/retention.ts).
 *
 * Counts reach a PoolState with its isolate's next report, which a request passing through the
 * isolate sends once the report interval is over; the scrape passes through too, so the counts
 * this isolate still holds are on their way for the next scrape.
 */
import { Hono } from "hono";
import { getConfig } from "../edge/config-cache.ts";
import { countDoCall, doCallStats } from "../edge/do-calls.ts";
import { sendPendingReports } from "../edge/reports.ts";
import type { Env } from "../env.ts";
import { withTimeout } from "../http/timeout.ts";
import { EXPOSITION_CONTENT_TYPE } from "../metrics/exposition.ts";
import { type MetricsScope, poolScopes } from "../metrics/retention.ts";
import { scrapeExposition } from "../metrics/scrape.ts";
import type { PoolMetrics } from "../metrics/series.ts";
import { authenticate } from "./auth.ts";
import type { ApiEnv } from "./context.ts";
import { waitUntilOf } from "./healthz.ts";

/** PoolState objects asked at once. */
const FANOUT = 8;
/** A PoolState that has not answered by then is counted as a scrape error. */
const POOL_TIMEOUT_MS = 5000;

/** The metrics endpoint (`/metrics`), mounted at the base of the admin app (`/__lb`). */
export const metricsRoutes = new Hono<ApiEnv>();

metricsRoutes.use("/metrics", authenticate);

metricsRoutes.get("/metrics", async (c) => {
  const background = waitUntilOf(c);
  sendPendingReports(c.env, background, Date.now());
  const config = await getConfig(c.env, background);
  const poolIds = config.pools.map((pool) => pool.id);
  const { metrics, failed } = await gatherPoolMetrics(c.env, poolIds, poolScopes(config));
  const stats = doCallStats();
  const body = scrapeExposition({
    configVersion: config.version,
    loadBalancers: config.loadBalancers.map((loadBalancer) => loadBalancer.id),
    rules: new Map(config.loadBalancers.map((lb) => [lb.id, new Set(lb.rules.map((rule) => rule.name))])),
    pools: poolIds.length,
    poolMetrics: metrics,
    scrapeErrors: failed,
    doCalls: stats.calls,
    proxiedRequests: stats.proxiedRequests,
  });
  return c.body(body, 200, { "content-type": EXPOSITION_CONTENT_TYPE, "cache-control": "no-store" });
});

/**
 * Each pool's metrics, `FANOUT` PoolStates at a time, in the configuration's pool order whatever
 * order they answer in; a pool its PoolState does not know yet has none.
 */
async function gatherPoolMetrics(
  env: Env,
  poolIds: readonly string[],
  scopes: ReadonlyMap<string, MetricsScope>,
): Promise<{ metrics: PoolMetrics[]; failed: number }> {
  const byPool: (PoolMetrics | null)[] = poolIds.map(() => null);
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < poolIds.length) {
      const index = next++;
      const id = poolIds[index] as string;
      try {
        countDoCall("admin");
        const result = await withTimeout(
          env.POOL_STATE.getByName(id).metrics(scopes.get(id)),
          POOL_TIMEOUT_MS,
        );
        if (result) byPool[index] = result;
      } catch (error) {
        failed++;
        console.log(JSON.stringify({ event: "pool_metrics_failed", pool: id, error: String(error) }));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(FANOUT, poolIds.length) }, worker));
  return { metrics: byPool.filter((result) => result !== null), failed };
}
