/**
 * How an edge sees a pool: the PoolState snapshot (global health, ejections, in-flight sums) combined
 * with what this isolate observed itself (its own ejections, its requests in flight since the
 * snapshot, its response times). Pure, so the proxy, the status endpoint and Node tests share it.
 *
 * - An origin is **healthy** when it is enabled, not failed by active checks and not ejected by the
 *   PoolState (the same verdict at every edge). Without a snapshot, or for an origin the snapshot
 *   does not know yet, it counts as healthy (unknown counts as healthy, as in the DO).
 * - An origin is **usable** when it is healthy, has weight > 0 (not drained), is not ejected by this
 *   isolate, is under `maxConnections` and was not tried by this request already.
 * - Backups are usable only when no primary is.
 * - A pool **can serve** when it is healthy (enabled, at least `minimumOrigins` healthy origins) and
 *   has a usable origin. Pool health comes from the snapshot only, so every edge fails over on the
 *   same verdict; the usable origins add what this isolate knows on its own. An origin whose
 *   PoolState ejection ended after the snapshot was built does not count towards pool health until
 *   a newer snapshot says so (`heldForNews`): the PoolState may have failed it meanwhile, and the
 *   pool would otherwise serve here while the PoolState (and the API) still hold it unhealthy.
 * - The fallback pool ignores health: it serves with its usable origins when it has some, else with
 *   every enabled origin of weight > 0.
 */
import type { Candidate } from "../balancing/types.ts";
import type { Origin, Pool } from "../config/schema.ts";
import { originTarget } from "./identity.ts";
import { ejectionRoom, mayEject } from "./passive.ts";
import { inServiceSince, slowStartFactor } from "./slow-start.ts";
import type { OriginSnapshot, PoolSnapshot } from "./types.ts";

/** What this isolate knows about one origin on its own. */
export interface LocalOrigin {
  /** Its requests in flight to the origin now, minus those the snapshot already counts. */
  readonly inflightDelta: number;
  /** Its moving average of response times; null before the first response. */
  readonly latencyMs: number | null;
  /** End of an ejection this isolate decided on its own; null when there is none. */
  readonly ejectedUntil: number | null;
}

export interface EdgeViewInput {
  readonly pool: Pool;
  /** The last snapshot from the pool's PoolState; null when this isolate has none. */
  readonly snapshot: PoolSnapshot | null;
  /** What this isolate knows of an origin on its own (belonging to this origin's identity). */
  readonly local: (origin: Origin) => LocalOrigin | undefined;
  readonly now: number;
}

/** Why an origin is not a candidate, or `usable`. */
export const ORIGIN_VERDICTS = [
  "usable",
  "disabled",
  "unhealthy",
  "ejected",
  "ejected_here",
  "drained",
  "at_capacity",
  "tried",
] as const;
export type OriginVerdict = (typeof ORIGIN_VERDICTS)[number];

export interface PoolCandidates {
  /** Enabled and at least `minimumOrigins` healthy origins (snapshot verdicts). */
  readonly healthy: boolean;
  readonly healthyOrigins: number;
  /** The usable origins, in pool order: primaries, or backups when no primary is usable. */
  readonly candidates: Candidate[];
  /** Why the pool cannot serve; null when it can. */
  readonly reason: string | null;
}

const NONE: ReadonlySet<string> = new Set();

/**
 * Healthy as far as the PoolState knows: enabled, not failed by active checks, not ejected at `now`.
 * @example isHealthyAtEdge(origin, snapshot?.origins[origin.name], Date.now())
 */
export function isHealthyAtEdge(
  origin: Pick<Origin, "enabled">,
  seen: Pick<OriginSnapshot, "check" | "ejectedUntil"> | undefined,
  now: number,
): boolean {
  if (!origin.enabled) return false;
  if (!seen) return true;
  if (seen.check === "unhealthy") return false;
  return seen.ejectedUntil === null || seen.ejectedUntil <= now;
}

/**
 * Pool health as every edge sees it: enabled and at least `minimumOrigins` healthy origins.
 * @example poolHealthAtEdge({ pool, snapshot, local, now }).healthy
 */
export function poolHealthAtEdge(input: EdgeViewInput): { healthy: boolean; healthyOrigins: number } {
  const { pool, snapshot, now } = input;
  let healthyOrigins = 0;
  for (const origin of pool.origins) {
    if (countsHealthy(origin, seenOf(snapshot, origin), snapshot, now)) healthyOrigins++;
  }
  return { healthy: pool.enabled && healthyOrigins >= pool.minimumOrigins, healthyOrigins };
}

/**
 * Whether `origin` counts towards its pool's health here: healthy at the edge, unless its PoolState
 * ejection ended after `snapshot` was built (the snapshot cannot say whether the origin recovered).
 */
function countsHealthy(
  origin: Pick<Origin, "enabled">,
  seen: Pick<OriginSnapshot, "check" | "ejectedUntil"> | undefined,
  snapshot: Pick<PoolSnapshot, "at"> | null,
  now: number,
): boolean {
  if (!isHealthyAtEdge(origin, seen, now)) return false;
  return snapshot === null || !lapsedSince(seen?.ejectedUntil, snapshot.at, now);
}

/**
 * What the snapshot says about `origin`, when it is about the same server: an entry kept for
 * another address under the same name (or from before the pool was deleted) describes nothing here.
 * @example seenOf(snapshot, origin)?.ejectedUntil
 */
export function seenOf(snapshot: PoolSnapshot | null, origin: Origin): OriginSnapshot | undefined {
  const seen = snapshot?.origins[origin.name];
  if (seen === undefined) return undefined;
  // Snapshots from before identities were carried have no target: they are taken as they are.
  return seen.target === undefined || seen.target === originTarget(origin) ? seen : undefined;
}

/**
 * The verdict on one origin for a new attempt.
 * @example originVerdict(input, origin, tried) === "usable"
 */
export function originVerdict(
  input: EdgeViewInput,
  origin: Origin,
  exclude: ReadonlySet<string> = NONE,
): OriginVerdict {
  const seen = seenOf(input.snapshot, origin);
  return verdictOf(origin, seen, input.local(origin), input.now, exclude, input.snapshot);
}

/**
 * How long an origin whose ejection ended after the snapshot was built waits for a newer snapshot
 * before it is taken back anyway: the staleness ceiling of a pool snapshot (docs/scale.md).
 */
export const LAPSE_HOLD_MS = 30_000;

/**
 * Whether an ejection of `origin` (the PoolState's or this isolate's) ended after `snapshot` was
 * built, less than `LAPSE_HOLD_MS` ago: the snapshot cannot say whether the origin recovered (its
 * active checks may have failed it meanwhile), so it waits for a newer one before it is used again.
 * @example heldForNews(seen, local, snapshot, Date.now())
 */
export function heldForNews(
  seen: Pick<OriginSnapshot, "ejectedUntil"> | undefined,
  local: Pick<LocalOrigin, "ejectedUntil"> | undefined,
  snapshot: Pick<PoolSnapshot, "at"> | null,
  now: number,
): boolean {
  if (snapshot === null) return false;
  return (
    lapsedSince(seen?.ejectedUntil, snapshot.at, now) || lapsedSince(local?.ejectedUntil, snapshot.at, now)
  );
}

/** Whether an ejection ending at `until` ended after `builtAt`, less than `LAPSE_HOLD_MS` before `now`. */
function lapsedSince(until: number | null | undefined, builtAt: number, now: number): boolean {
  return until != null && until <= now && until > builtAt && now - until < LAPSE_HOLD_MS;
}

/** `originVerdict` on what the snapshot and this isolate know of the origin. */
function verdictOf(
  origin: Origin,
  seen: OriginSnapshot | undefined,
  local: LocalOrigin | undefined,
  now: number,
  exclude: ReadonlySet<string>,
  snapshot: PoolSnapshot | null = null,
): OriginVerdict {
  if (!origin.enabled) return "disabled";
  if (seen?.check === "unhealthy") return "unhealthy";
  if (seen && seen.ejectedUntil !== null && seen.ejectedUntil > now) return "ejected";
  if (origin.weight <= 0) return "drained";
  if (local?.ejectedUntil != null && local.ejectedUntil > now) return "ejected_here";
  if (heldForNews(seen, local, snapshot, now)) return "ejected_here";
  if (exclude.has(origin.name)) return "tried";
  if (origin.maxConnections !== null && inflightOf(seen, local) >= origin.maxConnections) {
    return "at_capacity";
  }
  return "usable";
}

/** Whether an origin held for news is otherwise fit for a request (its ejections both ended). */
function usableOnceHeard(
  origin: Origin,
  seen: OriginSnapshot | undefined,
  local: LocalOrigin | undefined,
  now: number,
): boolean {
  if (local?.ejectedUntil != null && local.ejectedUntil > now) return false;
  return origin.maxConnections === null || inflightOf(seen, local) < origin.maxConnections;
}

/**
 * The pool as this edge sees it now: health, usable origins and, when it cannot serve, why.
 * @param exclude origins this request already tried
 * @example const view = poolCandidates({ pool, snapshot, local, now: Date.now() });
 */
export function poolCandidates(input: EdgeViewInput, exclude: ReadonlySet<string> = NONE): PoolCandidates {
  const { pool, snapshot, now } = input;
  const origins = pool.origins;
  // Runs for every request: what is not needed is not allocated (no backups, nothing left out).
  const primaries: Candidate[] = [];
  let backups: Candidate[] | null = null;
  let left: Map<OriginVerdict, number> | null = null;
  // Origins held for news only (`heldForNews`): used when nothing else is, never the cause of a 503.
  let held: Candidate[] | null = null;
  let healthyOrigins = 0;
  for (let index = 0; index < origins.length; index++) {
    const origin = origins[index] as Origin;
    const seen = seenOf(snapshot, origin);
    if (countsHealthy(origin, seen, snapshot, now)) healthyOrigins++;
    // Looked up once for both the verdict and the candidate.
    const local = input.local(origin);
    const verdict = verdictOf(origin, seen, local, now, exclude, snapshot);
    if (verdict !== "usable") {
      if (
        verdict === "ejected_here" &&
        !exclude.has(origin.name) &&
        heldForNews(seen, local, snapshot, now)
      ) {
        if (usableOnceHeard(origin, seen, local, now)) {
          held ??= [];
          held.push(candidateFrom(pool, origin, index, seen, local, now));
        }
      }
      left ??= new Map();
      left.set(verdict, (left.get(verdict) ?? 0) + 1);
      continue;
    }
    const candidate = candidateFrom(pool, origin, index, seen, local, now);
    if (!origin.backup) primaries.push(candidate);
    else if (backups) backups.push(candidate);
    else backups = [candidate];
  }
  const healthy = pool.enabled && healthyOrigins >= pool.minimumOrigins;
  let candidates = primaries.length > 0 || backups === null ? primaries : backups;
  if (candidates.length === 0 && held !== null) candidates = held;
  let reason: string | null = null;
  if (!pool.enabled) reason = "pool is disabled";
  else if (!healthy) {
    reason = `pool is unhealthy: ${healthyOrigins} of ${origins.length} origins healthy (minimum ${pool.minimumOrigins})`;
  } else if (candidates.length === 0) reason = `no usable origin (${describeLeft(left ?? new Map())})`;
  return { healthy, healthyOrigins, candidates, reason };
}

/**
 * The origins of a pool serving as a load balancer's fallback: its health is ignored, but its usable
 * origins are preferred when it has some; otherwise every enabled origin of weight > 0 not yet tried
 * (primaries, or backups when there are no primaries left).
 * @example fallbackCandidates({ pool, snapshot, local, now }, tried)
 */
export function fallbackCandidates(input: EdgeViewInput, exclude: ReadonlySet<string> = NONE): Candidate[] {
  const usable = poolCandidates(input, exclude).candidates;
  if (usable.length > 0) return usable;
  const primaries: Candidate[] = [];
  const backups: Candidate[] = [];
  input.pool.origins.forEach((origin, index) => {
    if (!origin.enabled || origin.weight <= 0 || exclude.has(origin.name)) return;
    const candidate = { ...candidateOf(input, origin, index), weight: origin.weight };
    (origin.backup ? backups : primaries).push(candidate);
  });
  return primaries.length > 0 ? primaries : backups;
}

/**
 * Whether this isolate may eject one more origin of the pool on its own: passive checks are on, the
 * origins ejected now (by the PoolState or by this isolate) stay within `maxEjectionPercent`, and
 * at least one other usable origin remains.
 * @example mayEjectLocally(input, "eu-1")
 */
export function mayEjectLocally(input: EdgeViewInput, name: string): boolean {
  const { pool, snapshot, now } = input;
  if (!pool.passiveHealth.enabled) return false;
  const target = pool.origins.find((origin) => origin.name === name);
  if (!target?.enabled) return false;
  const ejected = (origin: Origin): boolean => {
    const seen = seenOf(snapshot, origin);
    const local = input.local(origin);
    const global = seen !== undefined && seen.ejectedUntil !== null && seen.ejectedUntil > now;
    const here = local?.ejectedUntil != null && local.ejectedUntil > now;
    return global || here;
  };
  const unhealthy = (origin: Origin): boolean => seenOf(snapshot, origin)?.check === "unhealthy";
  return mayEject(ejectionRoom(pool, name, ejected, unhealthy), pool.passiveHealth.maxEjectionPercent);
}

function candidateOf(input: EdgeViewInput, origin: Origin, index: number): Candidate {
  const seen = seenOf(input.snapshot, origin);
  return candidateFrom(input.pool, origin, index, seen, input.local(origin), input.now);
}

function candidateFrom(
  pool: Pool,
  origin: Origin,
  index: number,
  seen: OriginSnapshot | undefined,
  local: LocalOrigin | undefined,
  now: number,
): Candidate {
  const factor = slowStartFactor(serviceStart(seen, local, now), pool.slowStartSeconds, now);
  return {
    name: origin.name,
    index,
    weight: origin.weight * factor,
    inflight: inflightOf(seen, local),
    latencyMs: local?.latencyMs ?? seen?.latencyMs ?? null,
  };
}

/** Start of the origin's current in-service period: the later of the PoolState's and a local ejection's end. */
function serviceStart(
  seen: OriginSnapshot | undefined,
  local: LocalOrigin | undefined,
  now: number,
): number | null {
  const global = seen ? inServiceSince(seen, now) : null;
  const localEnd = local?.ejectedUntil != null && local.ejectedUntil <= now ? local.ejectedUntil : null;
  if (global === null) return localEnd;
  return localEnd === null ? global : Math.max(global, localEnd);
}

function inflightOf(seen: OriginSnapshot | undefined, local: LocalOrigin | undefined): number {
  return Math.max(0, (seen?.inflight ?? 0) + (local?.inflightDelta ?? 0));
}

const VERDICT_WORDS: Record<Exclude<OriginVerdict, "usable">, string> = {
  disabled: "disabled",
  unhealthy: "unhealthy",
  ejected: "ejected",
  ejected_here: "ejected by this edge",
  drained: "drained",
  at_capacity: "at maxConnections",
  tried: "already tried",
};

function describeLeft(left: ReadonlyMap<OriginVerdict, number>): string {
  const parts: string[] = [];
  for (const [verdict, count] of left) {
    if (verdict !== "usable") parts.push(`${count} ${VERDICT_WORDS[verdict]}`);
  }
  return parts.length > 0 ? parts.join(", ") : "the pool has no origins";
}
