/**
 * Which origins of a pool may take a request right now, as balancing candidates, and whether the
 * pool can serve at all: the pure rules of health/edge-view.ts applied to this isolate's data (the
 * cached PoolState snapshot, its own counters and ejections, its last report). Also where an
 * attempt's outcome lands: counters, the next report, and the local passive ejection.
 */
import type { Candidate } from "../balancing/types.ts";
import type { Pool } from "../config/schema.ts";
import {
  type EdgeViewInput,
  fallbackCandidates,
  type LocalOrigin,
  mayEjectLocally,
  type PoolView,
  poolHealthAtEdge,
  viewPool,
} from "../health/edge-view.ts";
import type { PoolAssessment } from "../routing/choose-pool.ts";
import {
  type AttemptOutcome,
  type AttemptTicket,
  ejectLocally,
  endAttempt,
  isFailure,
  originCounters,
} from "./outcomes.ts";
import { peekPoolSnapshot } from "./pool-state-cache.ts";
import { recordOutcome, reportedInflight } from "./reports.ts";

const NONE: ReadonlySet<string> = new Set();
const USABLE: PoolAssessment = { usable: true };

/**
 * What this isolate knows about `pool` at `now`, as the input of the edge-view rules.
 * @example viewPool(edgeView(pool, Date.now()))
 */
export function edgeView(pool: Pool, now: number): EdgeViewInput {
  const snapshot = peekPoolSnapshot(pool.id);
  return {
    pool,
    snapshot,
    now,
    local: (name) => localOrigin(pool.id, name, snapshot !== null, now),
  };
}

/**
 * The pool's health and usable origins as this isolate sees them.
 * @param exclude origins this request already tried
 * @example const { candidates, reason } = poolView(pool, Date.now());
 */
export function poolView(pool: Pool, now: number, exclude: ReadonlySet<string> = NONE): PoolView {
  return viewPool(edgeView(pool, now), exclude);
}

/**
 * The usable origins of `pool`, in pool order: healthy, enabled, weight > 0, not ejected (by the
 * PoolState or this isolate), under `maxConnections`, not in `exclude`; backups only when no primary
 * is usable. Weights are scaled down during slow start.
 * @example usableCandidates(pool, Date.now(), new Set(["eu-1"]))
 */
export function usableCandidates(pool: Pool, now: number, exclude: ReadonlySet<string> = NONE): Candidate[] {
  return poolView(pool, now, exclude).candidates;
}

/**
 * Whether `pool` can serve now: healthy per `minimumOrigins` and with a usable origin (the
 * `candidates` already computed for it, when the caller has them).
 * @example assessPool(pool, Date.now()) // { usable: false, reason: "pool is unhealthy: ..." }
 */
export function assessPool(pool: Pool, now: number, candidates?: readonly Candidate[]): PoolAssessment {
  const input = edgeView(pool, now);
  if (candidates && candidates.length > 0 && poolHealthAtEdge(input).healthy) return USABLE;
  const reason = viewPool(input).reason;
  return reason === null ? USABLE : { usable: false, reason };
}

/**
 * The origins of `pool` when it serves as a load balancer's fallback: its health is ignored, its
 * usable origins preferred (health/edge-view.ts).
 * @example fallbackPoolCandidates(fallback, Date.now())
 */
export function fallbackPoolCandidates(
  pool: Pool,
  now: number,
  exclude: ReadonlySet<string> = NONE,
): Candidate[] {
  return fallbackCandidates(edgeView(pool, now), exclude);
}

/**
 * Ends an attempt: updates this isolate's counters, adds it to the pool's next report and, when the
 * origin has now failed `passiveHealth.consecutiveFailures` times in a row here, ejects it here at
 * once for `ejectionSeconds` (within `maxEjectionPercent`, counting the PoolState's ejections).
 * @example settleAttempt(pool, ticket, { status: 502, error: null, latencyMs: 3 }, Date.now());
 */
export function settleAttempt(pool: Pool, ticket: AttemptTicket, outcome: AttemptOutcome, now: number): void {
  if (!endAttempt(ticket, outcome)) return;
  recordOutcome(ticket.poolId, ticket.origin, outcome);
  const passive = pool.passiveHealth;
  const counters = ticket.counters;
  if (!passive.enabled || !isFailure(outcome) || counters.consecutiveFailures < passive.consecutiveFailures) {
    return;
  }
  if (counters.ejectedUntil !== null && counters.ejectedUntil > now) return;
  if (!mayEjectLocally(edgeView(pool, now), ticket.origin)) return;
  const streak = counters.consecutiveFailures;
  const until = now + passive.ejectionSeconds * 1000;
  ejectLocally(ticket.poolId, ticket.origin, until);
  console.log(
    JSON.stringify({
      event: "origin_ejected_here",
      at: new Date(now).toISOString(),
      pool: ticket.poolId,
      origin: ticket.origin,
      until: new Date(until).toISOString(),
      message: `origin ${ticket.origin} ejected by this edge for ${passive.ejectionSeconds} s after ${streak} failed requests in a row`,
    }),
  );
}

function localOrigin(
  poolId: string,
  name: string,
  hasSnapshot: boolean,
  now: number,
): LocalOrigin | undefined {
  const counters = originCounters(poolId, name);
  if (!counters) return undefined;
  const counted = hasSnapshot ? reportedInflight(poolId, name, now) : 0;
  return {
    inflightDelta: counters.inflight - counted,
    latencyMs: counters.latencyMs,
    ejectedUntil: counters.ejectedUntil,
  };
}
