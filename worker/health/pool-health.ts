/**
 * What an origin's record means for traffic and for the API: healthy or not, the reported state,
 * pool health, the snapshot the edge caches and the body of `GET /pools/{id}/health`. Pure.
 *
 * An origin is healthy when it is enabled, not ejected and not failed by active checks. `unknown`
 * (no verdict yet) counts as healthy, so a new pool or origin serves before its first probe; with
 * no active checks configured origins are healthy unless passive checks eject them. The weight does
 * not change health: a drained origin (weight 0) is healthy but receives no new requests.
 */
import type { Origin, Pool } from "../config/schema.ts";
import { passedChecksSince } from "./active.ts";
import { drainSessionsUntil } from "./drain.ts";
import { originTarget } from "./identity.ts";

import type {
  OriginHealth,
  OriginRecord,
  OriginSnapshot,
  OriginState,
  PoolHealth,
  PoolSnapshot,
} from "./types.ts";

/** True while an ejection is running at `now`. */
export function isEjected(record: Pick<OriginRecord, "ejectedUntil">, now: number): boolean {
  return record.ejectedUntil !== null && record.ejectedUntil > now;
}

/** Whether the origin may receive traffic as far as health goes. */
export function isOriginHealthy(
  origin: Pick<Origin, "enabled">,
  record: Pick<OriginRecord, "check" | "ejectedUntil"> | undefined,
  now: number,
): boolean {
  if (!origin.enabled) return false;
  if (!record) return true;
  return record.check !== "unhealthy" && !isEjected(record, now);
}

/**
 * The one state the API reports. Precedence: disabled, unhealthy, ejected, draining (weight 0 with
 * requests still in flight), unknown (checks on, no verdict yet), healthy.
 */
export function originState(
  origin: Pick<Origin, "enabled" | "weight">,
  record: Pick<OriginRecord, "check" | "ejectedUntil"> | undefined,
  checksOn: boolean,
  inflight: number,
  now: number,
): OriginState {
  if (!origin.enabled) return "disabled";
  if (record?.check === "unhealthy") return "unhealthy";
  if (record && isEjected(record, now)) return "ejected";
  if (origin.weight === 0 && inflight > 0) return "draining";
  if (checksOn && (!record || record.check === "unknown")) return "unknown";
  return "healthy";
}

/**
 * A pool is healthy while it is enabled and at least `minimumOrigins` of its origins are healthy.
 * @example isPoolHealthy({ enabled: true, minimumOrigins: 2 }, 1) === false
 */
export function isPoolHealthy(
  pool: Pick<Pool, "enabled" | "minimumOrigins">,
  healthyOrigins: number,
): boolean {
  return pool.enabled && healthyOrigins >= pool.minimumOrigins;
}

/** Whether the pool has enabled active health checks. */
export function checksOn(pool: Pick<Pool, "healthCheck">): boolean {
  return pool.healthCheck?.enabled === true;
}

/**
 * The snapshot of a pool's health at `now`, keyed by origin name.
 * @example buildSnapshot(pool, records, new Map([["eu-1", 3]]), Date.now())
 */
export function buildSnapshot(
  pool: Pool,
  records: ReadonlyMap<string, OriginRecord>,
  inflight: ReadonlyMap<string, number>,
  now: number,
): PoolSnapshot {
  const active = checksOn(pool);
  const origins: Record<string, OriginSnapshot> = {};
  let healthyOrigins = 0;
  for (const origin of pool.origins) {
    const record = records.get(origin.name);
    const count = inflight.get(origin.name) ?? 0;
    const healthy = isOriginHealthy(origin, record, now);
    if (healthy) healthyOrigins++;
    origins[origin.name] = {
      name: origin.name,
      target: record?.target ?? originTarget(origin),
      state: originState(origin, record, active, count, now),
      healthy,
      check: record?.check ?? "unknown",
      healthySince: record ? record.healthySince : null,
      ejectedUntil: record && isEjected(record, now) ? record.ejectedUntil : null,
      inflight: count,
      latencyMs: record?.latencyMs ?? null,
      lastCheckAt: record?.lastCheckAt ?? null,
      lastError: record?.lastError ?? null,
      consecutiveFailures: (active ? record?.failures : record?.passiveStreak) ?? 0,
      passingSince: record && active ? passedChecksSince(record, pool.healthCheck) : null,
    };
  }
  return {
    pool: pool.id,
    version: pool.version,
    healthy: isPoolHealthy(pool, healthyOrigins),
    healthyOrigins,
    origins,
    at: now,
  };
}

/** The body of `GET /pools/{id}/health`, origins in pool order, timestamps in ISO 8601. */
export function toPoolHealth(
  snapshot: PoolSnapshot,
  order: readonly string[],
  drain: { readonly drainSeconds: number; readonly now: number } = { drainSeconds: 0, now: snapshot.at },
): PoolHealth {
  const origins = order.flatMap((name) => {
    const o = snapshot.origins[name];
    if (!o) return [];
    const until = o.healthy ? drainSessionsUntil(o.drainedAt, drain.drainSeconds, drain.now) : null;
    const entry: OriginHealth = {
      name: o.name,
      // Pinned sessions may still reach it: it is draining, with requests in flight or not.
      state: until !== null && (o.state === "healthy" || o.state === "unknown") ? "draining" : o.state,
      healthy: o.healthy,
      lastCheckAt: iso(o.lastCheckAt),
      lastError: o.lastError,
      latencyMs: o.latencyMs === null ? null : Math.round(o.latencyMs),
      consecutiveFailures: o.consecutiveFailures,
      inflight: o.inflight,
      ejectedUntil: iso(o.ejectedUntil),
    };
    if (until !== null) entry.drainingUntil = new Date(until).toISOString();
    return [entry];
  });
  return { pool: snapshot.pool, healthy: snapshot.healthy, healthyOrigins: snapshot.healthyOrigins, origins };
}

/** Explains a pool's health in one sentence, for events. */
export function describePoolHealth(
  pool: Pick<Pool, "id" | "enabled" | "minimumOrigins" | "origins">,
  healthyOrigins: number,
): string {
  if (!pool.enabled) return `pool ${pool.id} is disabled`;
  const verdict = healthyOrigins >= pool.minimumOrigins ? "healthy" : "unhealthy";
  return `pool ${pool.id} is ${verdict}: ${healthyOrigins} of ${pool.origins.length} origins healthy (minimum ${pool.minimumOrigins})`;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
