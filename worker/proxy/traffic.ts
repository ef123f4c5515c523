/**
 * The traffic-management phase of the proxy: a load balancer's rules (answer directly, redirect,
 * or route over other pools) and the request facts `hash` steering and `poolOverrideHeader` read.
 * Decisions come from worker/routing/rules.ts and worker/routing/steering.ts; this file only turns
 * a request into their inputs and a decision into a response (observed, when a rule answers).
 */
import { type KeySpec, parseKeySpec, requestKey } from "../affinity/request-key.ts";
import type { LoadBalancer } from "../config/schema.ts";
import type { Redirect, Respond } from "../config/traffic.ts";
import { normalizePath } from "../http/path.ts";
import type { RouteMatch } from "../routing/match.ts";
import { compileRules, matchRule, type RuleRequest, redirectLocation } from "../routing/rules.ts";
import type { Inbound } from "./inbound.ts";
import { observeRuleAnswer } from "./observe.ts";

/**
 * Phase `ruleFilter`: a direct answer when a `respond` or `redirect` rule of the matched load
 * balancer matches (counted in the rule's metric, written to Analytics Engine and the access log
 * naming the rule); otherwise the match to plan with, its load balancer carrying a `pools` rule's
 * pools in place of its own (the same object for every such request of a configuration version)
 * and naming the rule, for the access log and Analytics Engine.
 * @example const routed = ruleFilter(inbound, match); if (routed instanceof Response) return routed;
 */
export function ruleFilter(
  inbound: Pick<Inbound, "request" | "url" | "requestId" | "started" | "env" | "ctx">,
  match: RouteMatch,
): Response | Routed {
  const loadBalancer = match.loadBalancer;
  const rules = compileRules(loadBalancer);
  if (rules.length === 0) return match;
  const matched = matchRule(rules, ruleRequestOf(inbound.request, inbound.url));
  if (!matched) return match;
  const action = matched.rule.action;
  if (action.kind === "pools")
    return { ...match, loadBalancer: action.loadBalancer, rule: matched.rule.name };
  const response =
    action.kind === "respond"
      ? respondWith(action.respond, inbound.request.method, inbound.requestId)
      : redirectTo(action.redirect, inbound.url, inbound.requestId);
  observeRuleAnswer(inbound, loadBalancer, matched.rule, response.status);
  return response;
}

/** A route match as planning takes it: `rule` names the `pools` rule that picked its pools, if one did. */
export interface Routed extends RouteMatch {
  readonly rule?: string | undefined;
}

/**
 * The facts rules look at.
 * @example matchRule(compileRules(lb), ruleRequestOf(request, url))
 */
export function ruleRequestOf(request: Request, url: URL): RuleRequest {
  const cf = request.cf;
  return {
    method: request.method,
    // The normalised path, as routing matches it (http/path.ts): `/%61dmin` is `/admin` here too.
    path: normalizePath(url.pathname),
    headers: request.headers,
    url,
    country: typeof cf?.country === "string" ? cf.country : null,
    continent: typeof cf?.continent === "string" ? cf.continent : null,
  };
}

/** What `hash` steering and the pool override read off a request; empty for other load balancers. */
export interface SteeringFacts {
  readonly splitKey?: string | undefined;
  readonly overridePool?: string | null | undefined;
}

const NO_FACTS: SteeringFacts = {};
const splitSpecs = new WeakMap<LoadBalancer, KeySpec>();

/**
 * The request's split key (steering `hash`) and the pool its override header names.
 * @example planPool(config, match, now, { ...steeringFacts(request, url, lb, clientIp), location, pin })
 */
export function steeringFacts(
  request: Request,
  url: URL,
  loadBalancer: LoadBalancer,
  clientIp: string | null,
): SteeringFacts {
  const hashed = loadBalancer.steering === "hash";
  const header = loadBalancer.poolOverrideHeader;
  if (!hashed && !header) return NO_FACTS;
  let splitKey: string | undefined;
  if (hashed) {
    let spec = splitSpecs.get(loadBalancer);
    if (!spec) {
      spec = parseKeySpec(loadBalancer.splitOn);
      splitSpecs.set(loadBalancer, spec);
    }
    splitKey = requestKey(spec, { url, headers: request.headers, clientIp }).key;
  }
  return { splitKey, overridePool: header ? request.headers.get(header)?.trim() || null : null };
}

function respondWith(respond: Respond, method: string, requestId: string): Response {
  const headers = new Headers(respond.headers);
  headers.set("content-type", respond.contentType);
  headers.set("x-request-id", requestId);
  const body = method === "HEAD" || respond.status === 204 || respond.status === 304 ? null : respond.body;
  return new Response(body, { status: respond.status, headers });
}

function redirectTo(redirect: Redirect, url: URL, requestId: string): Response {
  return new Response(null, {
    status: redirect.status,
    headers: { location: redirectLocation(redirect, url), "x-request-id": requestId },
  });
}
