/**
 * `GET /load_balancers/{id}/history?window=1h|24h`: a load balancer's minute history, combined from
 * the histories of the pools it sends traffic to (worker/metrics/lb-history.ts says how). One
 * ConfigStore read for the load balancer, then one PoolState read per pool, at most
 * LB_HISTORY_MAX_POOLS, six at a time. Failovers are derived from the pool transitions those reads
 * carry, so they cost no call of their own.
 */
import type { PoolHistory } from "../../durable-objects/pool-state/history.ts";
import type { LoadBalancer } from "../config/schema.ts";
import type { Env } from "../env.ts";
import { HISTORY_STEP_MS, HISTORY_WINDOWS, type HistoryWindow, minuteOf } from "../metrics/history.ts";
import {
  combinedEvents,
  combinedTotal,
  historyPools,
  type LoadBalancerHistory,
} from "../metrics/lb-history.ts";
import { poolState } from "./pool-ops.ts";
import { configStore, unwrap } from "./store.ts";

/** PoolState DOs asked at once. */
const FANOUT = 6;

/** The history of load balancer `id` (404 for an unknown one; empty series before any report). */
export async function readLoadBalancerHistory(
  env: Env,
  id: string,
  window: HistoryWindow,
): Promise<LoadBalancerHistory> {
  const { resource } = unwrap(await configStore(env).getResource("load_balancer", id));
  const lb = resource as LoadBalancer;
  const { read, notRead } = historyPools(lb);
  const histories: PoolHistory[] = [];
  const unavailable: string[] = [];
  for (let start = 0; start < read.length; start += FANOUT) {
    const batch = read.slice(start, start + FANOUT);
    const results = await Promise.allSettled(batch.map((pool) => poolState(env, pool).history(window)));
    results.forEach((result, i) => {
      const pool = batch[i] ?? "";
      if (result.status === "rejected") {
        console.log(JSON.stringify({ event: "pool_history_failed", pool, error: String(result.reason) }));
        unavailable.push(pool);
      } else if (result.value) {
        histories.push(result.value);
      }
    });
  }
  const now = Date.now();
  const from = minuteOf(now - HISTORY_WINDOWS[window]) + HISTORY_STEP_MS;
  return {
    loadBalancer: lb.id,
    window,
    stepSeconds: HISTORY_STEP_MS / 1000,
    from: new Date(from).toISOString(),
    to: new Date(now).toISOString(),
    total: combinedTotal(histories),
    pools: histories.map((history) => ({ id: history.pool, points: history.total })),
    events: combinedEvents(lb, histories, from),
    unavailablePools: unavailable,
    poolsNotRead: notRead,
  };
}
