/**
 * The proxy side of the Worker: match a load balancer, choose a pool, forward to an origin and
 * hand back its response. With a warm isolate nothing here waits for a Durable Object.
 */
import { hashKeySpec, type KeySource, requestKey } from "../affinity/request-key.ts";
import { getConfig, warmConfig } from "../edge/config-cache.ts";
import { indexConfig } from "../edge/config-index.ts";
import { countProxiedRequest } from "../edge/do-calls.ts";
import { prepareLoadBalancerPools } from "../edge/pool-state-cache.ts";
import type { Env } from "../env.ts";
import { MAX_HOPS } from "../http/headers.ts";
import { ProblemError, problemResponse, problemType } from "../http/problem.ts";
import type { GeoLocation } from "../routing/geo.ts";
import { type ForwardResult, forward } from "./forward.ts";
import { type ForwardingInfo, isWebSocketUpgrade, readHops, requestIdOf } from "./headers.ts";
import { observeRequest, type ProxiedRequest } from "./observe.ts";
import { clientResponse } from "./response.ts";
import { matchRoute, planPool } from "./route-plan.ts";
import { affinityCookie, pickWithAffinity, pinTarget, readSession } from "./session.ts";
import { pathAndQueryOf } from "./upstream-url.ts";

/** Seconds a client is asked to wait when no origin can serve. */
const RETRY_AFTER_SECONDS = "5";

/**
 * Proxies one client request; the promise never rejects. Expected failures (no load balancer, no
 * origin, loop, origin down or slow, a request that cannot be forwarded) are answered as problem
 * JSON carrying the request's `X-Request-Id`; so is anything unexpected, as a logged 500.
 * @param url the parsed `request.url`, when the caller has it already
 * @example export default { fetch: (request, env, ctx) => proxyRequest(request, env, ctx) };
 */
export function proxyRequest(
  request: Request,
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  url: URL = new URL(request.url),
): Promise<Response> {
  const requestId = requestIdOf(request.headers, newRequestId);
  return proxy(request, url, env, ctx, requestId).catch((error: unknown) => {
    const failure = withRequestId(error, request, requestId);
    return problemResponse(failure.problem, failure.headers);
  });
}

function newRequestId(): string {
  return crypto.randomUUID();
}

/** A failure as the `ProblemError` the client gets, with the request's id; anything unexpected is logged. */
function withRequestId(error: unknown, request: Request, requestId: string): ProblemError {
  if (error instanceof ProblemError) {
    error.headers["x-request-id"] ??= requestId;
    return error;
  }
  console.log(
    JSON.stringify({
      event: "unhandled_error",
      method: request.method,
      requestId,
      error: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    }),
  );
  return new ProblemError(500, "An unexpected error occurred; it has been logged.", {
    headers: { "x-request-id": requestId },
  });
}

async function proxy(
  request: Request,
  url: URL,
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  requestId: string,
): Promise<Response> {
  const started = Date.now();
  const hops = readHops(request.headers);
  if (hops >= MAX_HOPS) {
    throw new ProblemError(
      508,
      `This request has passed through the load balancer ${hops} times; a load balancer's origin points back at it.`,
      { type: problemType("loop-detected"), headers: { "x-request-id": requestId } },
    );
  }

  const config = warmConfig(env, ctx, started) ?? (await getConfig(env, ctx));
  const match = matchRoute(config, url.hostname, url.pathname);
  if (!match) {
    throw new ProblemError(
      404,
      `No load balancer serves host "${url.hostname}" and path "${clip(url.pathname)}".`,
      {
        type: problemType("no-load-balancer"),
        headers: { "x-request-id": requestId },
      },
    );
  }
  countProxiedRequest();
  const loadBalancer = match.loadBalancer;
  const { pools } = indexConfig(config);
  // A warm isolate waits for nothing here: no promise, no await.
  const cold = prepareLoadBalancerPools(env, ctx, loadBalancer, pools, Date.now());
  if (cold) await cold;
  const now = Date.now();
  const session =
    loadBalancer.sessionAffinity.type === "none" ? null : await readSession(request, loadBalancer, env, now);
  const pin = pinTarget(session);
  const location = loadBalancer.steering === "geo" ? locationOf(request) : undefined;
  const { choice, candidates } = planPool(config, match, now, { location, pin });
  const proxied: ProxiedRequest = { requestId, started, loadBalancer, choice, pinnedPool: pin?.pool ?? null };
  const pool = choice?.pool;
  if (!pool || candidates.length === 0) {
    observeRequest(env, ctx, request, proxied, null, 503);
    throw new ProblemError(
      503,
      `No origin of load balancer "${loadBalancer.id}" can serve this request right now.`,
      {
        type: problemType("no-healthy-origin"),
        headers: { "retry-after": RETRY_AFTER_SECONDS, "x-request-id": requestId },
      },
    );
  }

  const info: ForwardingInfo = {
    clientIp: request.headers.get("cf-connecting-ip"),
    proto: url.protocol.slice(0, -1),
    host: url.host,
    requestId,
    hops,
    webSocket: isWebSocketUpgrade(request.headers),
  };
  const hashed = pool.algorithm === "hash";
  const source: KeySource | null =
    hashed || session ? { url, headers: request.headers, clientIp: info.clientIp } : null;
  const key = hashed && source ? requestKey(hashKeySpec(pool), source).key : undefined;
  const pick =
    session && source
      ? pickWithAffinity({ session, pool, candidates, pools, source, hashKey: key, now, random: Math.random })
      : null;
  const result = await forward({
    request,
    pathAndQuery: pathAndQueryOf(url),
    loadBalancer,
    pool,
    candidates: pick ? pick.candidates : candidates,
    info,
    key,
    edge: { env, ctx, pools },
  });
  if (result.kind !== "response") {
    observeRequest(env, ctx, request, proxied, result, result.kind === "timeout" ? 504 : 502);
    throw failureProblem(result, loadBalancer.id, result.pool.id, requestId);
  }
  const debug = loadBalancer.debugHeaders
    ? {
        pool: result.pool.id,
        origin: result.origin.name,
        lbMs: Math.max(0, Date.now() - started - result.originMs),
        originMs: result.originMs,
      }
    : null;
  const cookie =
    session && pick
      ? await affinityCookie(session, pick, result.pool, result.origin.name, result.response.status, {
          now: Date.now(),
          secure: url.protocol === "https:",
        })
      : null;
  const response = clientResponse(result.response, requestId, debug);
  if (cookie) response.headers.append("set-cookie", cookie);
  observeRequest(env, ctx, request, proxied, result, response.status);
  return response;
}

/** Where the request comes from, as Cloudflare's edge tells it (`request.cf`); unknown locally. */
function locationOf(request: Request): GeoLocation {
  const cf = request.cf;
  return {
    country: typeof cf?.country === "string" ? cf.country : null,
    continent: typeof cf?.continent === "string" ? cf.continent : null,
  };
}

function failureProblem(
  result: Exclude<ForwardResult, { kind: "response" }>,
  loadBalancer: string,
  pool: string,
  requestId: string,
): ProblemError {
  console.log(
    JSON.stringify({
      event: result.kind === "timeout" ? "origin_timeout" : "origin_unreachable",
      loadBalancer,
      pool,
      origin: result.origin.name,
      attempts: result.attempts,
      requestId,
      ...(result.kind === "unreachable" ? { error: result.message } : {}),
    }),
  );
  const tries = result.attempts === 1 ? "1 attempt" : `${result.attempts} attempts`;
  return result.kind === "timeout"
    ? new ProblemError(504, `The origin did not answer in time (${tries}).`, {
        type: problemType("origin-timeout"),
        headers: { "x-request-id": requestId },
      })
    : new ProblemError(502, `The origin could not be reached (${tries}).`, {
        type: problemType("origin-unreachable"),
        headers: { "x-request-id": requestId },
      });
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
