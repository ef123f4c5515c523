/**
 * Failover and fail-back events for `GET /events`, derived from the pool health transitions of the
 * pools the load balancers use (worker/health/failover-history.ts says why they are derived rather
 * than recorded).
 */
import type { StoreEvent } from "../../durable-objects/config-store/types.ts";
import type { ConfigSnapshot } from "../config/schema.ts";
import { countDoCall } from "../edge/do-calls.ts";
import type { Env } from "../env.ts";
import { failoverHistory } from "../health/failover-history.ts";
import type { PoolTimeline } from "../health/types.ts";

/** PoolState DOs asked at once. */
const FANOUT = 6;

/**
 * The newest `limit` failover events of every load balancer in `config`, newest first, and the pools
 * whose PoolState did not answer (their load balancers' history may miss events).
 * @example const { events, unavailable } = await failoverEvents(env, snapshot, 100);
 */
export async function failoverEvents(
  env: Env,
  config: ConfigSnapshot | null,
  limit: number,
): Promise<{ events: StoreEvent[]; unavailable: string[] }> {
  if (!config) return { events: [], unavailable: [] };
  const ids = [
    ...new Set(
      config.loadBalancers.flatMap((lb) => [...lb.pools, ...(lb.fallbackPool ? [lb.fallbackPool] : [])]),
    ),
  ].filter((id) => config.pools.some((pool) => pool.id === id));
  const timelines = new Map<string, PoolTimeline>();
  const complete = new Set<string>();
  const unavailable: string[] = [];
  for (let start = 0; start < ids.length; start += FANOUT) {
    const batch = ids.slice(start, start + FANOUT);
    const results = await Promise.allSettled(
      batch.map((id) => {
        countDoCall("admin");
        return env.POOL_STATE.getByName(id).timeline(limit);
      }),
    );
    results.forEach((result, i) => {
      const id = batch[i] ?? "";
      if (result.status === "rejected") {
        unavailable.push(id);
        return;
      }
      if (!result.value) return;
      timelines.set(id, result.value);
      if (result.value.events.length < limit) complete.add(id);
    });
  }
  const events = failoverHistory(config.loadBalancers, timelines, complete)
    .slice(-limit)
    .reverse()
    .map(({ at, kind, subject, message }) => ({ at, kind, subject, message }));
  return { events, unavailable };
}
