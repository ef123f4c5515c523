/**
 * Which origins of a pool may take a request right now, as balancing candidates, and whether the
 * pool can serve at all: the pure rules of health/edge-view.ts applied to this isolate's data (the
 * cached PoolState snapshot, its own counters and ejections, its last report). Also where an
 * attempt's outcome lands: counters, the next report, and the local passive ejection.
 */
import type { Candidate } from "../balancing/types.ts";
import type { Origin, Pool } from "../config/schema.ts";
import { checksClearEjection } from "../health/active.ts";
import {
  type EdgeViewInput,
  fallbackCandidates,
  type LocalOrigin,
  mayEjectLocally,
  type PoolCandidates,
  poolCandidates,
  seenOf,
} from "../health/edge-view.ts";
import { isPassiveFailure } from "../health/passive.ts";
import type { PoolSnapshot } from "../health/types.ts";
import {
  type AttemptOutcome,
  type AttemptTicket,
  ejectLocally,
  endAttempt,
  endLocalEjection,
  originCounters,
} from "./outcomes.ts";
import { notePoolEjectionEnd } from "./pool-snapshots.ts";
import { peekPoolSnapshot } from "./pool-state-cache.ts";
import { notePoolNews, recordOutcome, reportedInflight } from "./reports.ts";

const NONE: ReadonlySet<string> = new Set();

/**
 * What this isolate knows about `pool` at `now`, as the input of the edge-view rules.
 * @example poolCandidates(edgeViewInput(pool, Date.now()))
 */
export function edgeViewInput(pool: Pool, now: number): EdgeViewInput {
  const snapshot = peekPoolSnapshot(pool.id);
  return { pool, snapshot, now, local: localOf(pool.id, snapshot, now) };
}

function localOf(poolId: string, snapshot: PoolSnapshot | null, now: number): EdgeViewInput["local"] {
  return (origin) => localOrigin(poolId, origin, snapshot, now);
}

/**
 * The pool's health and usable origins as this isolate sees them.
 * @param exclude origins this request already tried
 * @example const { candidates, reason } = poolCandidatesHere(pool, Date.now());
 */
export function poolCandidatesHere(
  pool: Pool,
  now: number,
  exclude: ReadonlySet<string> = NONE,
): PoolCandidates {
  return poolCandidates(edgeViewInput(pool, now), exclude);
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
  return fallbackCandidates(edgeViewInput(pool, now), exclude);
}

/**
 * Settles an attempt's outcome (its response headers arrived, or it failed): updates this isolate's
 * counters, adds it to the pool's next report and, when the
 * origin has now failed `passiveHealth.consecutiveFailures` times in a row here (failures as the
 * pool's `failOn` defines them), ejects it here at once for `ejectionSeconds` (within
 * `maxEjectionPercent`, counting the PoolState's ejections, and never its last usable origin).
 * The attempt stays in flight until `releaseAttempt` (outcomes.ts).
 * @example settleAttempt(pool, ticket, { status: 502, error: null, latencyMs: 3 }, Date.now());
 */
export function settleAttempt(pool: Pool, ticket: AttemptTicket, outcome: AttemptOutcome, now: number): void {
  const passive = pool.passiveHealth;
  const failed = isPassiveFailure(outcome, passive.failOn);
  if (!endAttempt(ticket, outcome, failed)) return;
  if (outcome.error === "client") return;
  recordOutcome(ticket.poolId, ticket.origin, outcome, failed);
  const counters = ticket.counters;
  if (!passive.enabled || !failed || counters.consecutiveFailures < passive.consecutiveFailures) {
    return;
  }
  if (counters.ejectedUntil !== null && counters.ejectedUntil > now) return;
  if (!mayEjectLocally(edgeViewInput(pool, now), ticket.origin)) return;
  const streak = counters.consecutiveFailures;
  const until = now + passive.ejectionSeconds * 1000;
  ejectLocally(ticket, now, until);
  notePoolEjectionEnd(ticket.poolId, until);
  notePoolNews(ticket.poolId);
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
  origin: Origin,
  snapshot: PoolSnapshot | null,
  now: number,
): LocalOrigin | undefined {
  const counters = originCounters(poolId, origin);
  if (!counters) return undefined;
  // The PoolState saw the origin pass its active checks since this isolate ejected it: it is back.
  if (
    counters.ejectedUntil !== null &&
    counters.ejectedUntil > now &&
    checksClearEjection(seenOf(snapshot, origin)?.passingSince ?? null, counters.ejectedAt)
  ) {
    endLocalEjection(counters, now);
  }
  const counted = snapshot !== null ? reportedInflight(poolId, origin.name, now) : 0;
  return {
    inflightDelta: counters.inflight - counted,
    latencyMs: counters.latencyMs,
    ejectedUntil: counters.ejectedUntil,
  };
}
