/**
 * A load balancer's history, combined from the minute histories of the pools it sends traffic to
 * (worker/metrics/history.ts): per minute, requests, failed attempts and retries summed over the
 * pools, and as p95 the highest of the pools' p95 in that minute. Pure.
 *
 * Why the maximum: a pool's point holds its p95, not its latency buckets, and percentiles do not
 * add. If every pool answered 95 % of its attempts within its own p95, then 95 % of all attempts
 * were answered within the largest of them, so the maximum never understates the load balancer's
 * p95 (a request-weighted mean could do either). The pool it came from is named with each point.
 */
import { z } from "zod";
import type { LoadBalancer } from "../config/schema.ts";
import { failoverHistory } from "../health/failover-history.ts";
import type { HealthEvent, PoolTimeline } from "../health/types.ts";
import { FAILURE_KINDS, type HistoryPoint, HistoryPointSchema, type PoolHistory } from "./history.ts";

/**
 * At most this many pools are read for one load balancer (one PoolState call each). `pools` holds
 * at most 20 and `fallbackPool` one more, so those are always read; pools that only rules, regions
 * or countries name come after them and are listed in `poolsNotRead` beyond this bound.
 */
export const LB_HISTORY_MAX_POOLS = 32;

/**
 * The pools whose traffic makes up a load balancer's: `pools` in order, the fallback pool, then
 * pools named only by rules, `regionPools` or `countryPools` (the mirror pool is left out: its
 * requests are copies). The first LB_HISTORY_MAX_POOLS are read, the rest are not.
 * @example historyPools(lb) // { read: ["web", "spare"], notRead: [] }
 */
export function historyPools(lb: LoadBalancer): { read: string[]; notRead: string[] } {
  const ids = new Set<string>(lb.pools);
  if (lb.fallbackPool) ids.add(lb.fallbackPool);
  for (const rule of lb.rules) for (const id of rule.then.pools ?? []) ids.add(id);
  for (const list of Object.values(lb.regionPools)) for (const id of list) ids.add(id);
  for (const list of Object.values(lb.countryPools)) for (const id of list) ids.add(id);
  const all = [...ids];
  return { read: all.slice(0, LB_HISTORY_MAX_POOLS), notRead: all.slice(LB_HISTORY_MAX_POOLS) };
}

export const LbHistoryPointSchema = HistoryPointSchema.pick({
  at: true,
  requests: true,
  failures: true,
  retries: true,
  p95Ms: true,
})
  .extend({
    p95Ms: z
      .number()
      .nullable()
      .meta({
        description:
          "The highest p95 (ms) among the pools with attempts in the minute: percentiles do not add, and " +
          "the largest never understates the load balancer's p95. Null without attempts.",
      }),
    p95Pool: z.string().nullable().meta({ description: "The pool whose p95 is `p95Ms`." }),
  })
  .meta({ description: "One minute of a load balancer's traffic, summed over its pools." });
export type LbHistoryPoint = z.output<typeof LbHistoryPointSchema>;

export const LbHistoryEventSchema = z
  .object({
    at: z.string().meta({ description: "ISO 8601." }),
    kind: z.string().meta({
      description:
        "A pool's health event (origin_unhealthy, origin_ejected, pool_unhealthy, ...) or the load " +
        "balancer's `failover` / `failback` derived from its pools' transitions.",
    }),
    pool: z.string().nullable(),
    origin: z.string().nullable(),
    message: z.string(),
  })
  .meta({ description: "Something that changed, to mark on a chart's time axis." });
export type LbHistoryEvent = z.output<typeof LbHistoryEventSchema>;

export const LoadBalancerHistorySchema = z
  .object({
    loadBalancer: z.string(),
    window: z.enum(["1h", "24h"]).meta({ description: "The window asked for." }),
    stepSeconds: z.number().int().meta({ description: "Seconds between points (60)." }),
    from: z.string().meta({ description: "Start of the window's first minute, ISO 8601." }),
    to: z.string().meta({ description: "When the history was read, ISO 8601." }),
    total: z.array(LbHistoryPointSchema).meta({
      description:
        "The load balancer's points: the read pools' totals summed per minute. A pool that other load " +
        "balancers also use counts all of its traffic here.",
    }),
    pools: z
      .array(z.object({ id: z.string(), points: z.array(HistoryPointSchema) }))
      .meta({ description: "Each read pool's own points (its origins summed), as GET /pools/{id}/history." }),
    events: z.array(LbHistoryEventSchema).meta({
      description: "The read pools' health events and the load balancer's failovers, oldest first.",
    }),
    unavailablePools: z
      .array(z.string())
      .meta({ description: "Pools whose history could not be read just now (left out of `total`)." }),
    poolsNotRead: z.array(z.string()).meta({
      description: `Pools named only by rules, regions or countries beyond the first ${LB_HISTORY_MAX_POOLS} read.`,
    }),
  })
  .meta({
    description:
      "A load balancer's history, one point a minute, combined from its pools' histories (one PoolState read per pool).",
  });
/** The body of `GET /load_balancers/{id}/history`. */
export type LoadBalancerHistory = z.output<typeof LoadBalancerHistorySchema>;

/**
 * The per-minute sum of `histories`' totals, the highest p95 of each minute naming its pool.
 * @example combinedTotal([web, spare])[0] // { at, requests: 40, ..., p95Ms: 250, p95Pool: "web" }
 */
export function combinedTotal(histories: readonly PoolHistory[]): LbHistoryPoint[] {
  const byMinute = new Map<string, LbHistoryPoint>();
  for (const history of histories) {
    for (const point of history.total) {
      let sum = byMinute.get(point.at);
      if (!sum) {
        sum = emptyPoint(point.at);
        byMinute.set(point.at, sum);
      }
      addPoint(sum, point, history.pool);
    }
  }
  return [...byMinute.values()].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

function emptyPoint(at: string): LbHistoryPoint {
  return {
    at,
    requests: 0,
    failures: { "5xx": 0, timeout: 0, connect: 0 },
    retries: 0,
    p95Ms: null,
    p95Pool: null,
  };
}

function addPoint(into: LbHistoryPoint, point: HistoryPoint, pool: string): void {
  into.requests += point.requests;
  into.retries += point.retries;
  for (const kind of FAILURE_KINDS) into.failures[kind] += point.failures[kind];
  if (point.p95Ms !== null && (into.p95Ms === null || point.p95Ms > into.p95Ms)) {
    into.p95Ms = point.p95Ms;
    into.p95Pool = pool;
  }
}

/**
 * The pools' events and the load balancer's failovers from `from` (epoch ms) on, oldest first. The
 * failovers are replayed from the pool transitions in the histories (worker/health/failover-history.ts).
 */
export function combinedEvents(
  lb: LoadBalancer,
  histories: readonly PoolHistory[],
  from: number,
): LbHistoryEvent[] {
  const events: LbHistoryEvent[] = histories.flatMap((history) =>
    history.events.map((event) => ({
      at: event.at,
      kind: event.kind,
      pool: history.pool,
      origin: event.origin,
      message: event.message,
    })),
  );
  const timelines = new Map(histories.map((history) => [history.pool, timelineOf(history)]));
  for (const event of failoverHistory([lb], timelines)) {
    if (event.at < from) continue;
    events.push({
      at: new Date(event.at).toISOString(),
      kind: event.kind,
      pool: null,
      origin: null,
      message: event.message,
    });
  }
  return events.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/**
 * A pool's transitions in the window, newest first, as the failover history reads them. A pool
 * without a transition in the window is taken as healthy when its newest minute found any origin
 * healthy (or when it has no minute at all).
 */
function timelineOf(history: PoolHistory): PoolTimeline {
  const transitions: HealthEvent[] = history.events
    .filter((event) => event.kind === "pool_healthy" || event.kind === "pool_unhealthy")
    .map((event) => ({
      at: Date.parse(event.at),
      kind: event.kind as HealthEvent["kind"],
      subject: `pool/${history.pool}`,
      message: event.message,
      pool: history.pool,
      origin: event.origin,
    }))
    .reverse();
  const newest = history.total.at(-1);
  return {
    pool: history.pool,
    healthy: newest?.state ? newest.state === "healthy" : true,
    events: transitions,
  };
}
