/**
 * The proxy side of the Worker: match a load balancer, choose a pool, forward to an origin and
 * hand back its response. With a warm isolate nothing here waits for a Durable Object.
 *
 * The phases, in order (`proxy` below calls them one per line):
 * 1. `requestFilter` (inbound.ts): request id, loop guard;
 * 2. route: the configuration and the load balancer serving host + path (route-plan.ts);
 *    `ruleFilter` (traffic.ts): the load balancer's rules answer, redirect, or pick other pools;
 * 3. `preparePools` (plan.ts): the state of the load balancer's pools, fetched only when cold;
 * 4. `readSession` (session.ts): the client's session affinity, when the load balancer has any;
 * 5. `planUpstream` (plan.ts): the pool and the first attempt's candidates (503 without);
 * 6. `forward` (forward.ts): per attempt `upstreamPeer`, `sendAttempt`, `settle`, `retryTarget`;
 *    `startMirror` (mirror.ts) before it: a copy of the request for the mirror pool, sent after it;
 * 7. `responseFilter` (response.ts): client headers, debug headers; then `addAffinityCookie`;
 * 8. `observeRequest` (observe.ts): metrics, analytics, access log.
 */
import { getConfig, warmConfig } from "../edge/config-cache.ts";
import { countProxiedRequest } from "../edge/do-calls.ts";
import type { Env } from "../env.ts";
import { ProblemError, problemResponse, problemType } from "../http/problem.ts";
import { type Answered, type ForwardResult, forward } from "./forward.ts";
import { requestIdOf } from "./headers.ts";
import { type Inbound, requestFilter } from "./inbound.ts";
import { startMirror } from "./mirror.ts";
import { observeRequest } from "./observe.ts";
import { planUpstream, preparePools, type UpstreamPlan } from "./plan.ts";
import { addAffinityCookie, responseFilter } from "./response.ts";
import { matchRoute } from "./route-plan.ts";
import { readSession } from "./session.ts";
import { ruleFilter } from "./traffic.ts";

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

/**
 * The request path, one phase per line (the order a request takes; each phase's file says what it
 * does). A phase that ends the request throws the `ProblemError` the client gets.
 */
async function proxy(
  request: Request,
  url: URL,
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  requestId: string,
): Promise<Response> {
  const inbound = requestFilter(request, url, env, ctx, requestId);
  const config = warmConfig(env, ctx, inbound.started) ?? (await getConfig(env, ctx));
  const match = matchRoute(config, url.hostname, url.pathname);
  if (!match) throw noLoadBalancer(inbound);
  countProxiedRequest();
  const routed = ruleFilter(inbound, match);
  if (routed instanceof Response) return routed;
  const cold = preparePools(inbound, config, routed);
  if (cold) await cold;
  const affinity = routed.loadBalancer.sessionAffinity.type !== "none";
  const session = affinity ? await readSession(request, routed.loadBalancer, env, Date.now()) : null;
  const plan = planUpstream(inbound, config, routed, session);
  const mirror = startMirror(plan);
  const result = await forward(plan);
  mirror?.send();
  if (result.kind !== "response") throw failed(plan, result);
  const response = responseFilter(plan, result);
  if (plan.affinity) await addAffinityCookie(plan, result, response, url.protocol === "https:");
  observeRequest(env, ctx, request, plan, result, response.status);
  return response;
}

function noLoadBalancer({ url, requestId }: Inbound): ProblemError {
  return new ProblemError(
    404,
    `No load balancer serves host "${url.hostname}" and path "${clip(url.pathname)}".`,
    { type: problemType("no-load-balancer"), headers: { "x-request-id": requestId } },
  );
}

/** Every attempt failed: the request is recorded and logged, and the client gets 502 or 504. */
function failed(plan: UpstreamPlan, result: Exclude<ForwardResult, Answered>): ProblemError {
  const { requestId } = plan;
  const timeout = result.kind === "timeout";
  observeRequest(plan.env, plan.ctx, plan.request, plan, result, timeout ? 504 : 502);
  console.log(
    JSON.stringify({
      event: timeout ? "origin_timeout" : "origin_unreachable",
      loadBalancer: plan.loadBalancer.id,
      pool: result.pool.id,
      origin: result.origin.name,
      attempts: result.attempts,
      requestId,
      ...(result.kind === "unreachable" ? { error: result.message } : {}),
    }),
  );
  const tries = result.attempts === 1 ? "1 attempt" : `${result.attempts} attempts`;
  return timeout
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
