/**
 * Session affinity as a pure decision: given where a client is pinned and which origins are usable
 * now, which origin serves the request and whether the affinity cookie is (re)issued.
 *
 * `onOriginFailure` (API.md, load balancer `sessionAffinity`):
 * - `reselect`: the pinned origin is not usable, so pick again with the pool's algorithm and pin the
 *   client to the new origin (a new cookie).
 * - `temporary`: serve from another origin now but leave the cookie alone, so the client returns to
 *   its origin once that origin is usable again (or the cookie expires).
 * A pin to an origin that no longer exists in the pool is replaced in both modes.
 *
 * Affinity by header or ip has no cookie: the pin is the key's home origin in the pool's consistent
 * hash table, and when that origin is unusable the key's next preference in the same table serves it,
 * consistently for every request with that key, until the home origin is back. Both modes therefore
 * behave as `temporary` there: there is nowhere to store a re-pin, and a stable next preference is
 * what a re-pin would give.
 */
import type { HashBalancer } from "../balancing/hash.ts";
import type { Candidate } from "../balancing/types.ts";
import type { SessionAffinity } from "../config/schema.ts";
import { type AffinityPin, shouldRefreshPin } from "./cookie.ts";

export type OnOriginFailure = SessionAffinity["onOriginFailure"];

/** Why the origin was chosen, for logs, debug headers and `explain`. */
export const AFFINITY_OUTCOMES = [
  "pinned", // the pinned origin is usable and serves
  "new", // no pin yet: chosen by the pool's algorithm
  "reselected", // pin not usable or gone: chosen again and re-pinned
  "temporary", // pin not usable: another origin serves, the pin stays
  "draining", // the pinned origin is drained but keeps its sessions (sessionAffinity.drainSeconds)
  "unavailable", // no usable origin at all
] as const;
export type AffinityOutcome = (typeof AFFINITY_OUTCOMES)[number];

export interface AffinityDecision {
  /** The origin to use; undefined only when there are no candidates. */
  readonly origin: Candidate | undefined;
  /** Whether to send a new affinity cookie naming `origin`. */
  readonly issueCookie: boolean;
  readonly outcome: AffinityOutcome;
}

export interface AffinityInput {
  /** The origin the client is pinned to, or null when it is not pinned. */
  readonly pinned: string | null;
  /** Whether the pinned origin still exists in the pool's configuration. */
  readonly pinnedInPool: boolean;
  /** Usable origins now, in pool order. */
  readonly candidates: readonly Candidate[];
  readonly onOriginFailure: OnOriginFailure;
  /** Chooses when the pin cannot be honoured: the pool's balancer over the given candidates. */
  readonly choose: (candidates: readonly Candidate[]) => Candidate | undefined;
  /** Whether the pin travels in a cookie that can be issued (type "cookie"). */
  readonly cookie: boolean;
  /** Re-issue the cookie even when the pin is honoured (it is past half its lifetime). */
  readonly refresh: boolean;
  /**
   * The pinned origin when it is drained but still serves the sessions pinned to it
   * (worker/health/drain.ts); undefined otherwise.
   */
  readonly drainSession?: Candidate | undefined;
}

/**
 * Decides the origin and whether to (re)issue the cookie.
 * @example resolveAffinity({ pinned: "eu-1", pinnedInPool: true, candidates, onOriginFailure: "reselect",
 *   choose: (c) => balancer.pick({ candidates: c, random: Math.random }), cookie: true, refresh: false })
 */
export function resolveAffinity(input: AffinityInput): AffinityDecision {
  const { pinned, candidates, cookie } = input;
  if (candidates.length === 0) return { origin: undefined, issueCookie: false, outcome: "unavailable" };
  if (pinned === null) {
    const origin = input.choose(candidates);
    return { origin, issueCookie: cookie && origin !== undefined, outcome: "new" };
  }
  const honoured = candidates.find((candidate) => candidate.name === pinned);
  if (honoured) return { origin: honoured, issueCookie: cookie && input.refresh, outcome: "pinned" };
  // The cookie is left alone: once the drain time is up the client is re-pinned like any other.
  if (input.drainSession?.name === pinned) {
    return { origin: input.drainSession, issueCookie: false, outcome: "draining" };
  }
  const origin = input.choose(candidates);
  if (input.onOriginFailure === "temporary" && input.pinnedInPool) {
    return { origin, issueCookie: false, outcome: "temporary" };
  }
  return { origin, issueCookie: cookie && origin !== undefined, outcome: "reselected" };
}

export interface CookieAffinityInput {
  /** The verified cookie of this load balancer, or null (none, invalid or expired). */
  readonly pin: AffinityPin | null;
  /** The pool serving this request: a pin to another pool does not apply here. */
  readonly poolId: string;
  /**
   * Whether a pin to another pool still names an origin of that pool, itself still a pool of this
   * load balancer: the request is served here only because the pinned origin is not usable, so
   * `temporary` keeps the pin. False (the default) treats such a pin as gone.
   */
  readonly pinElsewhereExists?: boolean | undefined;
  /** All origins of that pool as configured (to tell a down origin from a removed one). */
  readonly poolOrigins: readonly { readonly name: string }[];
  readonly candidates: readonly Candidate[];
  readonly onOriginFailure: OnOriginFailure;
  readonly choose: (candidates: readonly Candidate[]) => Candidate | undefined;
  /** Epoch ms, for the refresh decision. */
  readonly now: number;
  readonly ttlSeconds: number;
  /** The pinned origin when it is drained but still serves its sessions; undefined otherwise. */
  readonly drainSession?: Candidate | undefined;
}

/**
 * Cookie affinity: honours a pin to this pool, re-issues it past half its lifetime, and replaces it
 * according to `onOriginFailure`, also when the pin names another pool of the load balancer whose
 * pinned origin cannot serve (the request then reaches this pool).
 * @example resolveCookieAffinity({ pin, poolId: pool.id, poolOrigins: pool.origins, candidates,
 *   onOriginFailure, choose, now: Date.now(), ttlSeconds })
 */
export function resolveCookieAffinity(input: CookieAffinityInput): AffinityDecision {
  const { pin } = input;
  if (pin !== null && pin.poolId !== input.poolId && input.pinElsewhereExists) {
    if (input.candidates.length === 0)
      return { origin: undefined, issueCookie: false, outcome: "unavailable" };
    const origin = input.choose(input.candidates);
    if (input.onOriginFailure === "temporary") return { origin, issueCookie: false, outcome: "temporary" };
    return { origin, issueCookie: origin !== undefined, outcome: "reselected" };
  }
  const pinned = pin !== null && pin.poolId === input.poolId ? pin.origin : null;
  return resolveAffinity({
    pinned,
    pinnedInPool: pinned !== null && input.poolOrigins.some((origin) => origin.name === pinned),
    candidates: input.candidates,
    onOriginFailure: input.onOriginFailure,
    choose: input.choose,
    cookie: true,
    refresh: pinned !== null && shouldRefreshPin(pin!, input.now, input.ttlSeconds),
    drainSession: input.drainSession,
  });
}

/**
 * Header or ip affinity: the key's home origin in the pool's hash table, else its next preference;
 * `drainSession`, when given, is the key's home before a drain that still keeps sessions, and serves.
 * @example resolveKeyAffinity(createHashBalancer(pool.origins), clientIp, candidates, Math.random)
 */
export function resolveKeyAffinity(
  hash: HashBalancer,
  key: string,
  candidates: readonly Candidate[],
  random: () => number,
  drainSession?: Candidate,
): AffinityDecision {
  // The key's home before a drain that still keeps its sessions (worker/health/drain.ts).
  if (drainSession && candidates.length > 0)
    return { origin: drainSession, issueCookie: false, outcome: "draining" };
  const home = hash.home(key) ?? null;
  return resolveAffinity({
    pinned: home,
    pinnedInPool: home !== null,
    candidates,
    onOriginFailure: "temporary",
    choose: (usable) => hash.pick({ candidates: usable, key, random }),
    cookie: false,
    refresh: false,
  });
}
