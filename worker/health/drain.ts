/**
 * Drain that keeps sessions (Cloudflare's `drain_duration`): an origin drained through the API
 * (`POST /pools/{id}/origins/{name}/drain`, weight 0) takes no new clients, but clients pinned to it
 * by session affinity keep reaching it for the load balancer's `sessionAffinity.drainSeconds` after
 * the drain began. The PoolState remembers when the drain began (`drainedAt` in its snapshot); these
 * rules say how long that lasts and whether a pinned request may still go there.
 */
import type { Origin, Pool } from "../config/schema.ts";
import type { OriginSnapshot, PoolSnapshot } from "./types.ts";

/**
 * Until when (epoch ms) pinned sessions may still reach an origin whose drain began at `drainedAt`,
 * or null when they may not (no drain, `drainSeconds` 0, or the time is up at `now`).
 * @example drainSessionsUntil(Date.parse("2026-01-01T00:00:00Z"), 60, Date.now())
 */
export function drainSessionsUntil(
  drainedAt: number | null | undefined,
  drainSeconds: number,
  now: number,
): number | null {
  if (drainedAt == null || drainSeconds <= 0) return null;
  const until = drainedAt + drainSeconds * 1000;
  return until > now ? until : null;
}

/**
 * When the drain of `origin` began as the snapshot tells it. A snapshot computed for an older
 * version of the pool than the one that set the weight to 0 cannot know yet: the drain then began
 * after that snapshot was built, and its time is taken as the drain's start (an early estimate, so
 * sessions never last longer than asked).
 */
export function drainStartOf(
  pool: Pool,
  origin: Origin,
  seen: OriginSnapshot | undefined,
  snapshot: PoolSnapshot | null,
): number | null {
  if (origin.weight > 0 || !snapshot) return null;
  if (seen?.drainedAt != null) return seen.drainedAt;
  return snapshot.version < pool.version ? snapshot.at : null;
}

export interface DrainSessionInput {
  readonly pool: Pool;
  /** The origin the request is pinned to by affinity (cookie pin or the key's home origin). */
  readonly pinned: string;
  readonly snapshot: PoolSnapshot | null;
  /** The snapshot's entry for that origin (identity checked), or undefined. */
  readonly seen: OriginSnapshot | undefined;
  readonly drainSeconds: number;
  readonly now: number;
}

/**
 * Whether a request pinned to `pinned` may still go there although the origin is drained: it is
 * enabled, drained (weight 0), healthy as far as the PoolState knows (not failed by active checks,
 * not ejected), and the drain began less than `drainSeconds` ago.
 * @example mayServeDrainSession({ pool, pinned: "eu-1", snapshot, seen, drainSeconds: 300, now })
 */
export function mayServeDrainSession(input: DrainSessionInput): boolean {
  const { pool, seen, now } = input;
  if (input.drainSeconds <= 0) return false;
  const origin = pool.origins.find((candidate) => candidate.name === input.pinned);
  if (!origin?.enabled || origin.weight > 0) return false;
  if (seen?.check === "unhealthy") return false;
  if (seen && seen.ejectedUntil !== null && seen.ejectedUntil > now) return false;
  return (
    drainSessionsUntil(drainStartOf(pool, origin, seen, input.snapshot), input.drainSeconds, now) !== null
  );
}

/**
 * The pool's origins with the weights they had before their drains, while at least one drain still
 * keeps sessions; null otherwise. Header and ip affinity look a key's home up in the hash table of
 * these weights (the table before the drain), so the keys of a drained origin keep it meanwhile.
 * @example const before = preDrainWeights(pool, snapshot, 300, Date.now());
 */
export function preDrainWeights(
  pool: Pool,
  snapshot: PoolSnapshot | null,
  drainSeconds: number,
  now: number,
): { name: string; weight: number }[] | null {
  if (!snapshot || drainSeconds <= 0) return null;
  let draining = false;
  const origins = pool.origins.map((origin) => {
    const seen = snapshot.origins[origin.name];
    // A snapshot older than the drain still has the weight before it.
    const stale = snapshot.version < pool.version;
    const weight =
      origin.weight <= 0 ? (seen?.drainedWeight ?? (stale ? seen?.weight : undefined)) : undefined;
    const start = drainStartOf(pool, origin, seen, snapshot);
    if (weight === undefined || weight <= 0 || drainSessionsUntil(start, drainSeconds, now) === null) {
      return { name: origin.name, weight: origin.weight };
    }
    draining = true;
    return { name: origin.name, weight };
  });
  return draining ? origins : null;
}
