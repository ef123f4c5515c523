/**
 * The decision trace of `GET /explain`: which load balancer, pool and origin a described request
 * would reach now, and why at each step.
 *
 * It runs the proxy's own decisions on this isolate's caches, never a second copy of them:
 * `matchRoute`, `planPool` (steering, affinity pin, pool health, usable origins), `readSession`,
 * `pickWithAffinity` and the pool's balancer, on the same configuration snapshot and pool-state
 * snapshots the proxy uses. Nothing is changed: the balancer is only peeked (round robin names its
 * next origin without moving on), no request is counted in flight, no cookie is issued. Steps that
 * draw random numbers are shown as one draw plus each outcome's share (routing/explain.ts).
 */
import { type KeySource, parseKeySpec, readCookie, requestKey } from "../../affinity/request-key.ts";
import type { Balancer } from "../../balancing/types.ts";
import type { ConfigSnapshot, LoadBalancer, Pool } from "../../config/schema.ts";
import { getConfig } from "../../edge/config-cache.ts";
import { indexConfig } from "../../edge/config-index.ts";
import { balancerFor } from "../../edge/pool-balancers.ts";
import { prepareLoadBalancerPools, refreshPoolStatesNow } from "../../edge/pool-state-cache.ts";
import { poolCandidatesHere } from "../../edge/pool-view.ts";
import type { Env } from "../../env.ts";
import { adminDisposition } from "../../http/admin-host.ts";
import { MAX_HOPS } from "../../http/headers.ts";
import { ProblemError, problemType } from "../../http/problem.ts";
import { readHops } from "../../proxy/headers.ts";
import { matchRoute, planPool } from "../../proxy/route-plan.ts";
import {
  drainSessionOf,
  pickWithAffinity,
  pinTarget,
  readSession,
  type Session,
} from "../../proxy/session.ts";
import { explainDraw, pointsFor, type Share } from "../../routing/explain.ts";
import type { RouteMatch } from "../../routing/match.ts";
import { describeAffinity, describeOrigins, describePools, noMatchReason, originReason } from "./describe.ts";
import type { DescribedRequest } from "./query.ts";
import type { Explanation, ProxyAnswer } from "./schema.ts";
import { explainTraffic } from "./traffic.ts";

/** Seconds the proxy asks a client to wait when no origin can serve (handler.ts). */
const RETRY_AFTER_SECONDS = 5;

/** How `POST /explain` runs the same trace on a candidate configuration, many requests at once. */
export interface TraceOptions {
  /** The configuration to decide on; the live one when absent. */
  readonly config?: ConfigSnapshot;
  /** The balancer of a pool; the isolate's own (`balancerFor`) when absent. */
  readonly balancerOf?: (pool: Pool) => Balancer;
  /** The pools (by id) whose health may be refreshed first; those of `config` when absent. */
  readonly healthPools?: ReadonlyMap<string, Pool>;
  /** The random source of the one draw; Math.random when absent. */
  readonly random?: () => number;
  /**
   * The random source of the origin's draw; `random` when absent. A source of its own keeps the
   * origin's draw from shifting when the pool's decision draws more or fewer numbers.
   */
  readonly originRandom?: () => number;
  /** Points of the sweep that gives each outcome's share; sized by the work when absent. */
  readonly points?: number;
}

/**
 * Explains where `described` would go now (or under `options.config`).
 * @example const explanation = await explainRequest(parseExplainQuery(url.searchParams), env, ctx);
 */
export async function explainRequest(
  described: DescribedRequest,
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  options: TraceOptions = {},
): Promise<Explanation> {
  return inOrder(await explainSteps(described, env, ctx, options));
}

async function explainSteps(
  described: DescribedRequest,
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  options: TraceOptions,
): Promise<Explanation> {
  const config = options.config ?? (await getConfig(env, ctx));
  const { url, headers } = described;
  const base: Omit<Explanation, "outcome" | "loadBalancer"> = {
    request: {
      url: url.href,
      hostname: url.hostname,
      path: url.pathname,
      ip: described.ip,
      headers: Object.fromEntries(headers),
      country: described.location.country,
      continent: described.location.continent,
    },
    configVersion: config.version,
    pools: [],
    pool: null,
    affinity: null,
    origins: [],
    origin: null,
  };
  const side = adminDisposition(url, env.ADMIN_HOSTNAME);
  if (side !== "proxy") {
    return {
      ...base,
      outcome: "management",
      loadBalancer: null,
      reason:
        side === "serve"
          ? `${url.pathname} on this hostname is answered by the management side (/__lb), not proxied.`
          : `${url.pathname} on a hostname other than ADMIN_HOSTNAME answers 404 and is never proxied.`,
      ...(side === "closed"
        ? { wouldRespond: answer(404, `There is nothing at ${url.pathname}.`, "not-found") }
        : {}),
    };
  }
  const hops = readHops(headers);
  if (hops >= MAX_HOPS) {
    const detail = `This request has passed through the load balancer ${hops} times; a load balancer's origin points back at it.`;
    return {
      ...base,
      outcome: "loop",
      loadBalancer: null,
      reason: `x-edge-lb-hops is ${hops}: the proxy stops the request as a loop before matching it.`,
      wouldRespond: answer(508, detail, "loop-detected"),
    };
  }
  const match = matchRoute(config, url.hostname, url.pathname);
  if (!match) {
    const detail = `No load balancer serves host "${url.hostname}" and path "${clip(url.pathname)}".`;
    return {
      ...base,
      outcome: "no_load_balancer",
      loadBalancer: null,
      reason: noMatchReason(config, url.hostname, url.pathname),
      wouldRespond: answer(404, detail, "no-load-balancer"),
    };
  }
  return explainMatched(config, match, described, env, ctx, base, options);
}

async function explainMatched(
  config: ConfigSnapshot,
  match: RouteMatch,
  described: DescribedRequest,
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  base: Pick<Explanation, "request" | "configVersion">,
  options: TraceOptions,
): Promise<Explanation> {
  const loadBalancer = match.loadBalancer;
  const { pools } = indexConfig(config);
  await prepareLoadBalancerPools(env, ctx, loadBalancer, options.healthPools ?? pools, Date.now());
  // An operator is shown health at most a second old (the proxy's own reads follow its traffic).
  await refreshPoolStatesNow(
    env,
    healthPoolsOf(loadBalancer, options.healthPools ?? pools),
    1000,
    Date.now(),
  );
  const random = options.random ?? Math.random;
  const now = Date.now();
  const { url, headers } = described;
  const traffic = explainTraffic(loadBalancer, described);
  const trafficFields = {
    ...(loadBalancer.rules.length > 0 ? { rules: traffic.rules, rule: traffic.rule } : {}),
    ...(traffic.split ? { split: traffic.split } : {}),
    ...(traffic.mirror ? { mirror: traffic.mirror } : {}),
  };
  const routedLb = traffic.loadBalancer;
  const routed = routedLb === loadBalancer ? match : { ...match, loadBalancer: routedLb };
  if (traffic.answer) {
    return {
      ...base,
      outcome: "rule",
      loadBalancer: lbOf(match),
      ...trafficFields,
      pools: [],
      pool: null,
      affinity: null,
      origins: [],
      origin: null,
      wouldRespond: traffic.answer,
    };
  }
  const session = await readSession(new Request(url, { headers }), routedLb, env, now);
  const poolDraw = explainDraw(
    (random) =>
      planPool(config, routed, now, {
        location: described.location,
        pin: pinTarget(session),
        drainSession: drainSessionOf(
          session,
          { url, headers, clientIp: headers.get("cf-connecting-ip") },
          now,
        ),
        random,
        ...traffic.steering,
      }),
    (plan) => plan.choice?.pool?.id ?? null,
    { random, points: options.points ?? pointsFor(originCount(poolsOf(routedLb, pools))) },
  );
  const { choice, candidates } = poolDraw.sample;
  const lb = lbOf(match);
  const considered = describePools(choice?.considered ?? [], pools, now);
  const pool = choice?.pool ?? null;
  if (!choice || !pool || candidates.length === 0) {
    const detail = `No origin of load balancer "${loadBalancer.id}" can serve this request right now.`;
    return {
      ...base,
      outcome: "no_origin",
      loadBalancer: lb,
      ...trafficFields,
      pools: considered,
      pool: null,
      affinity: null,
      origins: pool ? describeOrigins(pool, candidates, now) : [],
      origin: null,
      wouldRespond: {
        ...answer(503, detail, "no-healthy-origin"),
        headers: { "retry-after": String(RETRY_AFTER_SECONDS) },
      },
    };
  }
  const chosen = choice.considered.find((step) => step.verdict === "chosen" && step.pool === pool.id);
  const source: KeySource = { url, headers, clientIp: headers.get("cf-connecting-ip") };
  const hashKey = pool.algorithm === "hash" ? requestKey(parseKeySpec(pool.hashOn), source) : null;
  const balancer = peeking((options.balancerOf ?? balancerFor)(pool));
  const originDraw = explainDraw(
    (random) => {
      const pick = pickWithAffinity({
        session,
        pool,
        candidates,
        pools,
        source,
        hashKey: hashKey?.key,
        now,
        random,
        balancer,
      });
      return { pick, origin: balancer.pick({ candidates: pick.candidates, key: hashKey?.key, random }) };
    },
    (decision) => decision.origin?.name ?? null,
    { random: options.originRandom ?? random, points: options.points ?? pointsFor(candidates.length) },
  );
  const { pick, origin } = originDraw.sample;
  const configured = origin ? pool.origins[origin.index] : undefined;
  return {
    ...base,
    outcome: "proxied",
    loadBalancer: lb,
    ...trafficFields,
    pools: considered,
    pool: {
      id: pool.id,
      via: choice.via,
      algorithm: pool.algorithm,
      ...(pool.algorithm === "hash" ? { hashOn: pool.hashOn } : {}),
      steering: choice.steering,
      reason: poolReason(chosen?.reason ?? choice.via, choice.via === "fallback", pool, now),
      ...drawFields(poolDraw),
    },
    affinity: describeAffinity(session, readSentCookie(session, headers), pick, pool, source),
    origins: describeOrigins(pool, candidates, now),
    origin: configured
      ? {
          name: configured.name,
          address: configured.address,
          ...drawFields(originDraw),
          reason: originReason(pool, pick, hashKey, originDraw.random),
        }
      : null,
  };
}

/**
 * Why the pool serves; for the fallback pool, whether the panic rule applies: none of its origins is
 * usable, so it serves with every enabled origin of weight above 0, whatever their health.
 */
function poolReason(reason: string, fallback: boolean, pool: Pool, now: number): string {
  if (!fallback) return reason;
  const usable = poolCandidatesHere(pool, now).candidates.length;
  if (usable > 0)
    return `no pool of the load balancer can serve: ${reason}; ${usable} of its origins are usable`;
  return `no pool of the load balancer can serve: ${reason}, and none of its origins is usable either, so every enabled origin of weight above 0 may serve (panic)`;
}

/** The explanation with its fields in reading order: the request, the outcome, then each step. */
function inOrder(explanation: Explanation): Explanation {
  const { request, outcome, configVersion, loadBalancer, reason, pools, pool, affinity, origins, origin } =
    explanation;
  const { wouldRespond, rules, rule, split, mirror } = explanation;
  return {
    request,
    outcome,
    configVersion,
    loadBalancer,
    ...(reason !== undefined ? { reason } : {}),
    ...(rules !== undefined ? { rules, rule } : {}),
    ...(split ? { split } : {}),
    pools,
    pool,
    affinity,
    origins,
    origin,
    ...(mirror ? { mirror } : {}),
    ...(wouldRespond ? { wouldRespond } : {}),
  };
}

/** The pool's balancer, asked without moving its state. */
function peeking(balancer: Balancer): Balancer {
  return { pick: (input) => (balancer.peek ? balancer.peek(input) : balancer.pick(input)) };
}

function drawFields(draw: { random: boolean; shares: readonly Share[] }): {
  decided: "fixed" | "draw";
  shares?: Share[];
} {
  return draw.random ? { decided: "draw", shares: [...draw.shares] } : { decided: "fixed" };
}

/** The pools a load balancer may route to, fallback included, that exist. */
function poolsOf(loadBalancer: LoadBalancer, pools: ReadonlyMap<string, Pool>): Pool[] {
  const ids = new Set(loadBalancer.pools);
  if (loadBalancer.fallbackPool) ids.add(loadBalancer.fallbackPool);
  return [...ids].flatMap((id) => {
    const pool = pools.get(id);
    return pool ? [pool] : [];
  });
}

function originCount(pools: readonly Pool[]): number {
  let count = 0;
  for (const pool of pools) count += pool.origins.length;
  return count;
}

/** Whether a cookie affinity cookie was sent at all (to tell "absent" from "not valid"). */
function readSentCookie(session: Session | null, headers: Headers): boolean {
  const affinity = session?.loadBalancer.sessionAffinity;
  if (affinity?.type !== "cookie") return false;
  return readCookie(headers.get("cookie"), affinity.cookieName) !== null;
}

function lbOf(match: RouteMatch): NonNullable<Explanation["loadBalancer"]> {
  const loadBalancer = match.loadBalancer;
  return {
    id: loadBalancer.id,
    hostname: loadBalancer.hostname,
    pathPrefix: loadBalancer.pathPrefix,
    steering: loadBalancer.steering,
    reason: matchReason(match),
  };
}

function matchReason(match: RouteMatch): string {
  const { hostname, pathPrefix } = match.loadBalancer;
  const host =
    match.matchedBy === "exact" ? `hostname "${hostname}" matches exactly` : `wildcard "${hostname}" matches`;
  return `${host}; its pathPrefix "${pathPrefix}" is the longest that matches the path`;
}

function answer(status: number, detail: string, type: string): ProxyAnswer {
  return { status, problem: new ProblemError(status, detail, { type: problemType(type) }).problem };
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** The pools of `loadBalancer` whose health explain reads: its own, its fallback's, its rules' and geo steering's. */
function healthPoolsOf(loadBalancer: LoadBalancer, pools: ReadonlyMap<string, Pool>): Pool[] {
  const ids = new Set([
    ...loadBalancer.pools,
    ...(loadBalancer.fallbackPool ? [loadBalancer.fallbackPool] : []),
  ]);
  for (const rule of loadBalancer.rules) for (const id of rule.then.pools ?? []) ids.add(id);
  if (loadBalancer.steering === "geo") {
    for (const list of [
      ...Object.values(loadBalancer.countryPools),
      ...Object.values(loadBalancer.regionPools),
    ]) {
      for (const id of list) ids.add(id);
    }
  }
  const found: Pool[] = [];
  for (const id of ids) {
    const pool = pools.get(id);
    if (pool) found.push(pool);
  }
  return found;
}
