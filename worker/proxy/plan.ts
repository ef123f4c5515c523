/**
 * Phase `planUpstream` of the proxy: once a load balancer matched (and this isolate knows the state
 * of its pools: `preparePools`), choose the pool and list the origins the first attempt may go to,
 * under the client's session affinity. The result, `UpstreamPlan`, carries everything later phases need: it is
 * what `forward` takes and what `observeRequest` records, so a request allocates one such object.
 */
import { hashKeySpec, type KeySource, requestKey } from "../affinity/request-key.ts";
import type { Candidate } from "../balancing/types.ts";
import type { ConfigSnapshot, LoadBalancer, Pool } from "../config/schema.ts";
import { indexConfig } from "../edge/config-index.ts";
import { prepareLoadBalancerPools } from "../edge/pool-state-cache.ts";
import type { Env } from "../env.ts";
import { ProblemError, problemType } from "../http/problem.ts";
import type { PoolChoice } from "../routing/choose-pool.ts";
import type { GeoLocation } from "../routing/geo.ts";
import type { RouteMatch } from "../routing/match.ts";
import type { EdgeContext, ForwardInput } from "./forward.ts";
import { type ForwardingInfo, isWebSocketUpgrade } from "./headers.ts";
import type { Inbound } from "./inbound.ts";
import { observeRequest, type ProxiedRequest } from "./observe.ts";
import { planPool } from "./route-plan.ts";
import { type AffinityPick, drainSessionOf, pickWithAffinity, pinTarget, type Session } from "./session.ts";
import { type Routed, steeringFacts } from "./traffic.ts";
import { pathAndQueryOf } from "./upstream-url.ts";

/** Seconds a client is asked to wait when no origin can serve. */
const RETRY_AFTER_SECONDS = "5";

/**
 * Where a request goes, short of the origin the balancer picks per attempt. It is at once the input
 * of `forward` (with its forwarding info and edge context) and the record `observeRequest` keeps.
 */
export class UpstreamPlan implements ForwardInput, ForwardingInfo, EdgeContext, ProxiedRequest {
  readonly request: Request;
  readonly env: Env;
  readonly ctx: Pick<ExecutionContext, "waitUntil">;
  readonly requestId: string;
  readonly started: number;
  readonly hops: number;
  readonly loadBalancer: LoadBalancer;
  readonly choice: PoolChoice;
  readonly pinnedPool: string | null;
  /** The `pools` rule that picked the pools (its name); null when no rule matched. */
  readonly rule: string | null;
  readonly pools: ReadonlyMap<string, Pool>;
  readonly pool: Pool;
  /** The origins the first attempt may go to: the pool's usable ones, or the affinity's choice. */
  readonly candidates: readonly Candidate[];
  readonly session: Session | null;
  /** The affinity decision; null without session affinity. */
  readonly affinity: AffinityPick | null;
  /** The request's key for consistent hashing (algorithm "hash"). */
  readonly key: string | undefined;
  readonly pathAndQuery: string;
  readonly clientIp: string | null;
  readonly proto: string;
  readonly host: string;
  readonly webSocket: boolean;

  constructor(
    inbound: Inbound,
    loadBalancer: LoadBalancer,
    pools: ReadonlyMap<string, Pool>,
    session: Session | null,
    pinnedPool: string | null,
    rule: string | null,
    choice: PoolChoice,
    pool: Pool,
    candidates: readonly Candidate[],
    now: number,
  ) {
    const { request, url } = inbound;
    this.request = request;
    this.env = inbound.env;
    this.ctx = inbound.ctx;
    this.requestId = inbound.requestId;
    this.started = inbound.started;
    this.hops = inbound.hops;
    this.loadBalancer = loadBalancer;
    this.choice = choice;
    this.pinnedPool = pinnedPool;
    this.rule = rule;
    this.pools = pools;
    this.pool = pool;
    this.session = session;
    this.pathAndQuery = pathAndQueryOf(url);
    this.clientIp = request.headers.get("cf-connecting-ip");
    this.proto = url.protocol.slice(0, -1);
    this.host = url.host;
    this.webSocket = isWebSocketUpgrade(request.headers);
    const hashed = pool.algorithm === "hash";
    const source: KeySource | null =
      hashed || session ? { url, headers: request.headers, clientIp: this.clientIp } : null;
    this.key = hashed && source ? requestKey(hashKeySpec(pool), source).key : undefined;
    this.affinity =
      session && source
        ? pickWithAffinity({
            session,
            pool,
            candidates,
            pools,
            source,
            hashKey: this.key,
            now,
            random: Math.random,
          })
        : null;
    this.candidates = this.affinity ? this.affinity.candidates : candidates;
  }

  /** Forwarding info for the upstream request headers (`ForwardInput.info`): the plan itself. */
  get info(): ForwardingInfo {
    return this;
  }

  /** The edge context of forwarding (`ForwardInput.edge`): the plan itself. */
  get edge(): EdgeContext {
    return this;
  }
}

/**
 * Makes sure this isolate knows the state of the pools `match`'s load balancer may use: null when it
 * does (a warm isolate), else a promise to wait for.
 * @example const cold = preparePools(inbound, config, match); if (cold) await cold;
 */
export function preparePools(
  inbound: Inbound,
  config: ConfigSnapshot,
  match: RouteMatch,
): Promise<void> | null {
  const { pools } = indexConfig(config);
  return prepareLoadBalancerPools(inbound.env, inbound.ctx, match.loadBalancer, pools, Date.now());
}

/**
 * Plans the upstream of a request `match`ed to a load balancer, with the client's `session`
 * (`readSession`; null without affinity). A request no origin can serve is recorded and answered
 * 503 (`ProblemError`).
 * @example const plan = planUpstream(inbound, config, match, session);
 */
export function planUpstream(
  inbound: Inbound,
  config: ConfigSnapshot,
  match: Routed,
  session: Session | null,
): UpstreamPlan {
  const { request } = inbound;
  const loadBalancer = match.loadBalancer;
  const { pools } = indexConfig(config);
  const now = Date.now();
  const pin = pinTarget(session);
  const location = loadBalancer.steering === "geo" ? locationOf(request) : undefined;
  const clientIp = request.headers.get("cf-connecting-ip");
  const steering = steeringFacts(request, inbound.url, loadBalancer, clientIp);
  const drainSession = session
    ? drainSessionOf(session, { url: inbound.url, headers: request.headers, clientIp }, now)
    : undefined;
  const { choice, candidates } = planPool(config, match, now, { location, pin, drainSession, ...steering });
  const pool = choice?.pool;
  const rule = match.rule ?? null;
  if (!choice || !pool || candidates.length === 0)
    throw noOrigin(inbound, loadBalancer, rule, choice, pin?.pool);
  const pinnedPool = pin?.pool ?? null;
  return new UpstreamPlan(
    inbound,
    loadBalancer,
    pools,
    session,
    pinnedPool,
    rule,
    choice,
    pool,
    candidates,
    now,
  );
}

/** Where the request comes from, as Cloudflare's edge tells it (`request.cf`); unknown locally. */
function locationOf(request: Request): GeoLocation {
  const cf = request.cf;
  return {
    country: typeof cf?.country === "string" ? cf.country : null,
    continent: typeof cf?.continent === "string" ? cf.continent : null,
  };
}

function noOrigin(
  inbound: Inbound,
  loadBalancer: LoadBalancer,
  rule: string | null,
  choice: PoolChoice | null,
  pinnedPool: string | undefined,
): ProblemError {
  const { requestId, started } = inbound;
  const proxied = { requestId, started, loadBalancer, rule, choice, pinnedPool: pinnedPool ?? null };
  observeRequest(inbound.env, inbound.ctx, inbound.request, proxied, null, 503);
  return new ProblemError(
    503,
    `No origin of load balancer "${loadBalancer.id}" can serve this request right now.`,
    {
      type: problemType("no-healthy-origin"),
      headers: { "retry-after": RETRY_AFTER_SECONDS, "x-request-id": requestId },
    },
  );
}
