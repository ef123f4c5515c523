/**
 * Where `failover` notifications come from. Which pool a load balancer serves from is a function of
 * pool health (worker/health/failover-history.ts), so no edge and no single PoolState can tell alone.
 * The Notifier is the one owner: each pool health transition reaches it once (from that pool's
 * PoolState, deduplicated by event id), and it replays that transition against the last verdicts
 * it saw of the other pools, with the same rule as `GET /events`. So each change of the serving
 * pool yields one event, whose id derives from the transition's id (a repeated hand-over repeats
 * the id, never the event).
 */
import type { ConfigSnapshot } from "../../worker/config/schema.ts";
import { failoverHistory } from "../../worker/health/failover-history.ts";
import type { PoolTimeline } from "../../worker/health/types.ts";
import type { NotifierEvent } from "./types.ts";

/**
 * The failover events one pool transition causes.
 * @param verdicts the last verdict of each pool before the transition (unknown pools count as healthy)
 */
export function failoversOf(
  config: ConfigSnapshot,
  verdicts: ReadonlyMap<string, boolean>,
  transition: NotifierEvent,
): NotifierEvent[] {
  const pool = transition.pool;
  if (!pool || (transition.type !== "pool_healthy" && transition.type !== "pool_unhealthy")) return [];
  const healthy = transition.type === "pool_healthy";
  if ((verdicts.get(pool) ?? true) === healthy) return [];
  const users = config.loadBalancers.filter((lb) => lb.pools.includes(pool) || lb.fallbackPool === pool);
  if (users.length === 0) return [];
  const at = Date.parse(transition.at);
  const timelines = new Map<string, PoolTimeline>();
  for (const lb of users) {
    for (const id of [...lb.pools, ...(lb.fallbackPool ? [lb.fallbackPool] : [])]) {
      if (id === pool || timelines.has(id)) continue;
      timelines.set(id, { pool: id, healthy: verdicts.get(id) ?? true, events: [] });
    }
  }
  timelines.set(pool, {
    pool,
    healthy,
    events: [{ at, kind: transition.type, subject: pool, message: transition.message, pool, origin: null }],
  });
  return failoverHistory(users, timelines).map((event) => ({
    id: `${transition.id}/${event.loadBalancer}`,
    type: "failover",
    at: transition.at,
    loadBalancer: event.loadBalancer,
    pool,
    message: event.message,
  }));
}
