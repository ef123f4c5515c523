/**
 * The PoolState's per-origin records against the configuration and the clock: records follow the
 * pool's origins (an origin with another address is another server, with new state), and ejections
 * end when they run out. Each change is saved and its event collected for the caller to settle.
 */
import type { Pool } from "../../worker/config/schema.ts";
import type { FailureWindows } from "../../worker/health/failure-rate.ts";
import { checksOn } from "../../worker/health/pool-health.ts";
import { endEjection, newRecord, originTarget, resetCheck } from "../../worker/health/record.ts";
import { settleQuorum } from "../../worker/health/regions.ts";
import type { HealthEvent, OriginRecord } from "../../worker/health/types.ts";
import { checkRegions, type RegionalViews } from "./regions.ts";
import { MAX_EVENTS, type PoolStateStore } from "./store.ts";

/**
 * Makes `records` match the pool's origins: drops the removed ones, starts over for another
 * server, resets verdicts of checks turned off and ejections of passive checks turned off. Regional
 * views follow (those of removed origins and regions are dropped) and the combined verdicts are
 * taken again over the regions configured now.
 * @example reconcileOrigins(pool, records, { windows, store, regional }, now, events)
 */
export function reconcileOrigins(
  pool: Pool,
  records: Map<string, OriginRecord>,
  parts: { windows: FailureWindows; store: PoolStateStore; regional: RegionalViews },
  now: number,
  events: HealthEvent[],
): void {
  const { windows, store, regional } = parts;
  const names = new Set(pool.origins.map((origin) => origin.name));
  store.keepDrainedWeights(names);
  for (const name of [...records.keys()]) {
    if (names.has(name)) continue;
    records.delete(name);
    windows.delete(name);
    regional.forget(name);
    store.deleteRecord(name);
  }
  for (const origin of pool.origins) {
    const target = originTarget(origin);
    const existing = records.get(origin.name);
    const record = existing?.target === target ? existing : newRecord(origin.name, target, now);
    if (record !== existing) {
      windows.delete(origin.name);
      regional.forget(origin.name);
    }
    records.set(origin.name, record);
    if (!checksOn(pool)) pushEvent(events, resetCheck(pool.id, record, now));
    if (!pool.passiveHealth.enabled) {
      pushEvent(events, endEjection(pool.id, record, now, "passive health checks turned off"));
    }
    store.saveRecord(record);
  }
  regional.keep(pool);
  const regions = checkRegions(pool);
  const check = pool.healthCheck;
  if (regions.length === 0 || !check) return;
  for (const record of records.values()) {
    pushEvent(events, settleQuorum(pool.id, record, regional.of(record.name), regions, now, check));
    store.saveRecord(record);
  }
}

/** Ends the ejections that have run out by `now`, saving each record and collecting its event. */
export function expireEjections(
  poolId: string,
  records: ReadonlyMap<string, OriginRecord>,
  store: PoolStateStore,
  now: number,
  events: HealthEvent[],
): void {
  for (const record of records.values()) {
    const event = endEjection(poolId, record, now);
    if (!event) continue;
    events.push(event);
    store.saveRecord(record);
  }
}

export function pushEvent(events: HealthEvent[], event: HealthEvent | null): void {
  if (event) events.push(event);
}

/**
 * A requested number of events, clamped to `min`..`MAX_EVENTS` (`MAX_EVENTS` when not finite).
 * @example boundedLimit(10_000, 1) === MAX_EVENTS
 */
export function boundedLimit(limit: number, min: number): number {
  return Number.isFinite(limit) ? Math.min(Math.max(Math.floor(limit), min), MAX_EVENTS) : MAX_EVENTS;
}
