/**
 * Failover and fail-back events of load balancers, derived from the pool health transitions their
 * PoolState DOs record. Pure.
 *
 * Which pool serves is a function of pool health that every edge computes the same way, so no edge
 * records it (N isolates would write N copies, at slightly different times). Each pool health
 * transition is recorded exactly once, by the pool's own PoolState; replaying those transitions
 * through the same rule yields each change of the serving pool exactly once, stamped with the time
 * of the transition that caused it. Edges act on it within about a second (their snapshot refresh).
 *
 * - `failover` steering: the serving pool is the first healthy pool in configured order, else the
 *   fallback pool, else none (503). Moving to a later one is a `failover`, to an earlier a `failback`.
 * - other steering (`random`, `geo`, `least_connections`): every healthy pool serves; a pool leaving
 *   that set is a `failover`, one joining it a `failback`.
 *
 * Limits: the history uses the current configuration (a reordered load balancer replays its past
 * with the new order), and reaches back only as far as the pools' stored transitions do.
 */
import type { LoadBalancer } from "../config/schema.ts";
import type { PoolTimeline } from "./types.ts";

export interface FailoverEvent {
  at: number;
  kind: "failover" | "failback";
  /** `load_balancer/<id>`. */
  subject: string;
  message: string;
  loadBalancer: string;
}

interface Transition {
  at: number;
  pool: string;
  healthy: boolean;
  message: string;
}

interface Serving {
  /** Comparable identity of the state. */
  key: string;
  /** Rank of preference: lower is better. */
  rank: number;
  text: string;
}

/**
 * The failover history of `loadBalancers`, oldest first.
 * @param timelines per pool id; a pool without one counts as healthy throughout
 * @param complete pool ids whose timeline holds every stored transition (others were cut at a limit)
 * @example failoverHistory(config.loadBalancers, timelines, new Set(["web-eu"]))
 */
export function failoverHistory(
  loadBalancers: readonly LoadBalancer[],
  timelines: ReadonlyMap<string, PoolTimeline>,
  complete: ReadonlySet<string> = new Set(timelines.keys()),
): FailoverEvent[] {
  const events: FailoverEvent[] = [];
  for (const lb of loadBalancers) {
    if (lb.enabled) events.push(...historyOf(lb, timelines, complete));
  }
  return events.sort((a, b) => a.at - b.at);
}

function historyOf(
  lb: LoadBalancer,
  timelines: ReadonlyMap<string, PoolTimeline>,
  complete: ReadonlySet<string>,
): FailoverEvent[] {
  const ids = [...new Set([...lb.pools, ...(lb.fallbackPool ? [lb.fallbackPool] : [])])];
  const state = new Map<string, boolean>();
  const transitions: Transition[] = [];
  let horizon = Number.NEGATIVE_INFINITY;
  for (const id of ids) {
    const timeline = timelines.get(id);
    const list = timeline?.events ?? [];
    const oldest = list[list.length - 1];
    // Before its oldest known transition a pool was in the opposite state.
    state.set(id, oldest ? oldest.kind !== "pool_healthy" : (timeline?.healthy ?? true));
    if (oldest && !complete.has(id)) horizon = Math.max(horizon, oldest.at);
    for (const event of list) {
      transitions.push({
        at: event.at,
        pool: id,
        healthy: event.kind === "pool_healthy",
        message: event.message,
      });
    }
  }
  transitions.sort((a, b) => a.at - b.at);
  const events: FailoverEvent[] = [];
  let serving = servingOf(lb, state);
  for (const transition of transitions) {
    state.set(transition.pool, transition.healthy);
    const next = servingOf(lb, state);
    if (next.key === serving.key) continue;
    if (transition.at >= horizon) {
      const kind = next.rank < serving.rank ? "failback" : "failover";
      events.push({
        at: transition.at,
        kind,
        subject: `load_balancer/${lb.id}`,
        message: `load balancer ${lb.id} ${describeMove(kind, serving, next)}: ${transition.message}`,
        loadBalancer: lb.id,
      });
    }
    serving = next;
  }
  return events;
}

function servingOf(lb: LoadBalancer, state: ReadonlyMap<string, boolean>): Serving {
  const healthy = lb.pools.filter((id) => state.get(id) === true);
  const fallback = lb.fallbackPool;
  if (lb.steering === "failover" && healthy.length > 0) {
    const pool = healthy[0] as string;
    return { key: pool, rank: lb.pools.indexOf(pool), text: `pool ${pool}` };
  }
  if (healthy.length > 0) {
    return {
      key: healthy.join(","),
      rank: lb.pools.length - healthy.length,
      text: `pool${healthy.length === 1 ? "" : "s"} ${healthy.join(", ")}`,
    };
  }
  if (fallback)
    return { key: `fallback:${fallback}`, rank: lb.pools.length, text: `fallback pool ${fallback}` };
  return { key: "none", rank: lb.pools.length + 1, text: "no pool (requests get 503)" };
}

function describeMove(kind: FailoverEvent["kind"], from: Serving, to: Serving): string {
  const verb = kind === "failback" ? "fails back" : "fails over";
  return `${verb} from ${from.text} to ${to.text}`;
}
