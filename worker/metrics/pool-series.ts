/**
 * The series a PoolState derives itself, rather than receiving them from edges: counters of its
 * health events and gauges read off its current snapshot. Pure.
 */
import { type HealthEvent, ORIGIN_STATES, type PoolSnapshot } from "../health/types.ts";
import type { GaugePoint, SeriesSet } from "./series.ts";

/**
 * Counts the events that have a counter: ejections, active-check transitions and pools turning
 * unhealthy (failovers). Returns whether any was counted.
 * @example countHealthEvents(series, [{ kind: "origin_ejected", pool: "web", origin: "a", ... }])
 */
export function countHealthEvents(series: SeriesSet, events: readonly HealthEvent[]): boolean {
  let counted = false;
  for (const event of events) {
    const { pool, origin } = event;
    if (event.kind === "origin_ejected" && origin !== null) {
      series.add("edge_lb_origin_ejections_total", { pool, origin });
    } else if ((event.kind === "origin_healthy" || event.kind === "origin_unhealthy") && origin !== null) {
      const to = event.kind === "origin_healthy" ? "healthy" : "unhealthy";
      series.add("edge_lb_origin_health_transitions_total", { pool, origin, to });
    } else if (event.kind === "pool_unhealthy") {
      series.add("edge_lb_pool_failovers_total", { pool });
    } else continue;
    counted = true;
  }
  return counted;
}

/**
 * The pool's gauges from its snapshot, origins in `order` (the pool's configured order).
 * @example poolGauges(snapshot, pool.origins.map((o) => o.name))
 */
export function poolGauges(snapshot: PoolSnapshot, order: readonly string[]): GaugePoint[] {
  const pool = snapshot.pool;
  const gauges: GaugePoint[] = [
    { name: "edge_lb_pool_healthy", labels: { pool }, value: snapshot.healthy ? 1 : 0 },
    { name: "edge_lb_pool_healthy_origins", labels: { pool }, value: snapshot.healthyOrigins },
  ];
  for (const name of order) {
    const origin = snapshot.origins[name];
    if (!origin) continue;
    const labels = { pool, origin: name };
    gauges.push(
      { name: "edge_lb_origin_healthy", labels, value: origin.healthy ? 1 : 0 },
      { name: "edge_lb_origin_inflight", labels, value: origin.inflight },
    );
    for (const state of ORIGIN_STATES) {
      gauges.push({
        name: "edge_lb_origin_state",
        labels: { ...labels, state },
        value: origin.state === state ? 1 : 0,
      });
    }
  }
  return gauges;
}
