/**
 * Session affinity on the request path: read and verify the client's pin, decide the origin of the
 * first attempt, and say which affinity cookie (if any) goes on the response.
 *
 * - `cookie`: the pin is a signed cookie (see affinity/cookie.ts). A cookie that is malformed,
 *   forged, altered, expired or issued by another load balancer is ignored: the client is treated as
 *   new and gets a fresh cookie. The key is `AFFINITY_SECRET`, or else a random key kept in the
 *   ConfigStore (edge/affinity-key.ts); while neither can be had, no cookie is read or written and
 *   requests are balanced as without affinity.
 * - `header`, `ip`: the key's home origin in the pool's consistent-hash table (affinity/resolve.ts).
 *
 * The pinned origin goes to the first attempt alone. When that attempt fails and the retry policy
 * allows another, the pool's algorithm picks among the origins not yet tried; the cookie then
 * follows `onOriginFailure`: `reselect` pins the client to the origin that answered, `temporary`
 * leaves the pin alone. A cookie is only ever issued for an origin that answered below 500.
 */
import {
  type AffinityPin,
  affinitySetCookie,
  signAffinityCookie,
  verifyAffinityCookie,
} from "../affinity/cookie.ts";
import { affinityKeySpec, type KeySource, readCookie, requestKey } from "../affinity/request-key.ts";
import { type AffinityOutcome, resolveCookieAffinity, resolveKeyAffinity } from "../affinity/resolve.ts";
import type { Balancer, Candidate } from "../balancing/types.ts";
import type { LoadBalancer, Pool } from "../config/schema.ts";
import { affinitySigningKey } from "../edge/affinity-key.ts";
import { balancerFor, hashTableFor, preDrainTableFor } from "../edge/pool-balancers.ts";
import { peekPoolSnapshot } from "../edge/pool-state-cache.ts";
import type { Env } from "../env.ts";
import { mayServeDrainSession, preDrainWeights } from "../health/drain.ts";
import { seenOf } from "../health/edge-view.ts";

/** What the request carries for its load balancer's affinity; null when the type is "none". */
export interface Session {
  readonly loadBalancer: LoadBalancer;
  /** The cookie signing key (type "cookie"); null when none can be made. */
  readonly key: CryptoKey | null;
  /** The verified pin of a cookie, or null. */
  readonly pin: AffinityPin | null;
}

/** The affinity decision for one request. */
export interface AffinityPick {
  /** Candidates for the first attempt: the chosen origin alone, or all of them without affinity. */
  readonly candidates: readonly Candidate[];
  readonly outcome: AffinityOutcome | null;
  /** The pool the decision was made in. */
  readonly pool: string;
  /** The origin the client was pinned to, when the pin was honoured. */
  readonly pinned: string | null;
  /** Whether the decision (re)issues the cookie. */
  readonly issue: boolean;
}

const NO_AFFINITY = (pool: Pool, candidates: readonly Candidate[]): AffinityPick => ({
  candidates,
  pool: pool.id,
  outcome: null,
  pinned: null,
  issue: false,
});

/**
 * Reads the affinity state of a request for `loadBalancer`.
 * @example const session = await readSession(request, lb, env, Date.now());
 */
export async function readSession(
  request: Request,
  loadBalancer: LoadBalancer,
  env: Pick<Env, "AFFINITY_SECRET" | "CONFIG_STORE">,
  now: number,
): Promise<Session | null> {
  const affinity = loadBalancer.sessionAffinity;
  if (affinity.type === "none") return null;
  if (affinity.type !== "cookie") return { loadBalancer, key: null, pin: null };
  const key = await affinitySigningKey(env, now);
  if (!key) return { loadBalancer, key: null, pin: null };
  const value = readCookie(request.headers.get("cookie"), affinity.cookieName);
  const pin = await verifyAffinityCookie(key, value, { loadBalancerId: loadBalancer.id, now });
  return { loadBalancer, key, pin };
}

/**
 * The pool and origin a session's cookie pins, for the pool decision; null without a pin.
 * @example planPool(config, match, now, { pin: pinTarget(session) })
 */
export function pinTarget(session: Session | null): { pool: string; origin: string } | null {
  return session?.pin ? { pool: session.pin.poolId, origin: session.pin.origin } : null;
}

export interface AffinityPickInput {
  readonly session: Session | null;
  readonly pool: Pool;
  /** The pool's usable origins (non-empty). */
  readonly candidates: readonly Candidate[];
  /** All pools of the configuration, to tell a pin to a down origin from a pin to a removed one. */
  readonly pools: ReadonlyMap<string, Pool>;
  readonly source: KeySource;
  /** The request's key for the pool's own algorithm (algorithm "hash"). */
  readonly hashKey: string | undefined;
  readonly now: number;
  readonly random: () => number;
  /** Chooses when the pin does not decide; default the pool's balancer in this isolate. */
  readonly balancer?: Balancer | undefined;
}

/**
 * Decides the first attempt's origin under the load balancer's session affinity.
 * @example const pick = pickWithAffinity({ session, pool, candidates, pools, source, hashKey, now, random });
 */
export function pickWithAffinity(input: AffinityPickInput): AffinityPick {
  const { session, pool, candidates, random } = input;
  if (!session) return NO_AFFINITY(pool, candidates);
  const affinity = session.loadBalancer.sessionAffinity;
  if (affinity.type === "cookie") {
    if (!session.key) return NO_AFFINITY(pool, candidates);
    const pin = session.pin;
    const balancer = input.balancer ?? balancerFor(pool);
    const decision = resolveCookieAffinity({
      pin,
      poolId: pool.id,
      poolOrigins: pool.origins,
      pinElsewhereExists: pin !== null && pinExists(session.loadBalancer, input.pools, pin),
      candidates,
      onOriginFailure: affinity.onOriginFailure,
      choose: (usable) => balancer.pick({ candidates: usable, key: input.hashKey, random }),
      now: input.now,
      ttlSeconds: affinity.ttlSeconds,
      drainSession:
        pin !== null && pin.poolId === pool.id
          ? drainSessionCandidate(pool, pin.origin, affinity.drainSeconds, input.now)
          : undefined,
    });
    return single(
      pool,
      decision.origin,
      candidates,
      decision.outcome,
      decision.issueCookie,
      pin?.origin ?? null,
    );
  }
  const spec = affinityKeySpec(affinity);
  if (!spec) return NO_AFFINITY(pool, candidates);
  const key = requestKey(spec, input.source).key;
  const drainSession = keyDrainSession(pool, key, affinity.drainSeconds, input.now);
  const decision = resolveKeyAffinity(hashTableFor(pool), key, candidates, random, drainSession);
  return single(pool, decision.origin, candidates, decision.outcome, false, null);
}

/**
 * The `Set-Cookie` value for the response, or null: after origin `answered` of `pool` (where the
 * retries may have moved the request) answered with `status`.
 * @example const cookie = await affinityCookie(session, pick, result.pool, result.origin.name, 200, { now, secure });
 */
export async function affinityCookie(
  session: Session | null,
  pick: AffinityPick,
  pool: Pool,
  answered: string,
  status: number,
  options: { readonly now: number; readonly secure: boolean },
): Promise<string | null> {
  if (!session?.key || status >= 500 || pick.outcome === null) return null;
  const affinity = session.loadBalancer.sessionAffinity;
  if (affinity.type !== "cookie") return null;
  const pinnedFailed = pick.outcome === "pinned" && (pool.id !== pick.pool || answered !== pick.pinned);
  const issue = pinnedFailed ? affinity.onOriginFailure === "reselect" : pick.issue;
  if (!issue) return null;
  const value = await signAffinityCookie(session.key, {
    loadBalancerId: session.loadBalancer.id,
    poolId: pool.id,
    origin: answered,
    expiresAt: options.now + affinity.ttlSeconds * 1000,
  });
  return affinitySetCookie(affinity.cookieName, value, {
    ttlSeconds: affinity.ttlSeconds,
    secure: options.secure,
    path: session.loadBalancer.pathPrefix,
  });
}

function single(
  pool: Pool,
  origin: Candidate | undefined,
  candidates: readonly Candidate[],
  outcome: AffinityOutcome,
  issue: boolean,
  pinned: string | null,
): AffinityPick {
  // Without an origin (the algorithm found none) the first attempt falls back to the pool's balancer.
  return {
    candidates: origin ? [origin] : candidates,
    pool: pool.id,
    outcome,
    pinned: outcome === "pinned" ? pinned : null,
    issue,
  };
}

/**
 * For the pool decision (`PoolOptions.drainSession`): the origin a drain session keeps for this
 * request in a pool, its cookie pin or its key's home before the drain, so that a pool whose
 * origins are all drained still serves the requests pinned to them for `drainSeconds` rather than
 * answering 503; undefined without affinity or drain time.
 * @example planPool(config, match, now, { drainSession: drainSessionOf(session, source, now) })
 */
export function drainSessionOf(
  session: Session | null,
  source: KeySource,
  now: number,
): ((pool: Pool) => Candidate | undefined) | undefined {
  const affinity = session?.loadBalancer.sessionAffinity;
  if (!session || !affinity || affinity.drainSeconds <= 0) return undefined;
  if (affinity.type === "cookie") {
    const pin = session.pin;
    if (!session.key || !pin) return undefined;
    return (pool) =>
      pool.id === pin.poolId
        ? drainSessionCandidate(pool, pin.origin, affinity.drainSeconds, now)
        : undefined;
  }
  const spec = affinityKeySpec(affinity);
  if (!spec) return undefined;
  // Asked only of a pool with no usable origin, so the key is read only then.
  return (pool) => keyDrainSession(pool, requestKey(spec, source).key, affinity.drainSeconds, now);
}

/**
 * The pinned origin as the only candidate of a request that keeps a drained origin's session, or
 * undefined when the drain does not keep it (worker/health/drain.ts).
 */
function drainSessionCandidate(
  pool: Pool,
  pinned: string,
  drainSeconds: number,
  now: number,
): Candidate | undefined {
  if (drainSeconds <= 0) return undefined;
  const index = pool.origins.findIndex((origin) => origin.name === pinned);
  const origin = pool.origins[index];
  if (!origin || origin.weight > 0) return undefined;
  const snapshot = peekPoolSnapshot(pool.id);
  const seen = seenOf(snapshot, origin);
  if (!mayServeDrainSession({ pool, pinned, snapshot, seen, drainSeconds, now })) return undefined;
  // Weight 0 is drained; the candidate stands alone, so its weight decides nothing.
  return {
    name: pinned,
    index,
    weight: 1,
    inflight: seen?.inflight ?? 0,
    latencyMs: seen?.latencyMs ?? null,
  };
}

/**
 * For header or ip affinity: the key's home before a drain that still keeps sessions, when that is
 * the drained origin. The table of the weights before the drain is built only while a drain keeps
 * sessions, once per pool version and set of weights (`preDrainTableFor`).
 */
function keyDrainSession(pool: Pool, key: string, drainSeconds: number, now: number): Candidate | undefined {
  if (drainSeconds <= 0 || !pool.origins.some((origin) => origin.weight <= 0)) return undefined;
  const before = preDrainWeights(pool, peekPoolSnapshot(pool.id), drainSeconds, now);
  const home = before ? preDrainTableFor(pool, before).home(key) : undefined;
  return home === undefined ? undefined : drainSessionCandidate(pool, home, drainSeconds, now);
}

/** Whether `pin` names an origin of a pool that is still one of the load balancer's pools. */
function pinExists(loadBalancer: LoadBalancer, pools: ReadonlyMap<string, Pool>, pin: AffinityPin): boolean {
  if (!loadBalancer.pools.includes(pin.poolId)) return false;
  return pools.get(pin.poolId)?.origins.some((origin) => origin.name === pin.origin) ?? false;
}
