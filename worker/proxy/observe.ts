/**
 * What the proxy does once it knows how a request ends (an origin answered, none could, or a rule
 * answered itself): count it for `/__lb/metrics` (carried by the pool's next report), write one
 * Analytics Engine data point when the `ANALYTICS` binding exists, and log one JSON line for the
 * share of requests `REQUEST_LOG_SAMPLE_RATE` asks for. None of it waits or can fail the request.
 */
import type { LoadBalancer } from "../config/schema.ts";
import { recordRequest, recordRuleResponse } from "../edge/metrics.ts";
import { flushReports, notePoolActivity } from "../edge/reports.ts";
import type { Env } from "../env.ts";
import {
  accessLogLine,
  analyticsPoint,
  parseSampleRate,
  type RequestEvent,
  sampled,
} from "../metrics/request-event.ts";
import type { PoolChoice } from "../routing/choose-pool.ts";
import type { CompiledRule } from "../routing/rules.ts";
import type { ForwardResult } from "./forward.ts";
import type { Inbound } from "./inbound.ts";

/** What the proxy knows of a request once it has chosen a pool. */
export interface ProxiedRequest {
  readonly requestId: string;
  /** When the request arrived (ms since epoch). */
  readonly started: number;
  readonly loadBalancer: LoadBalancer;
  readonly choice: PoolChoice | null;
  /** The pool a session-affinity pin named, when the request carried one. */
  readonly pinnedPool: string | null;
  /** The `pools` rule (its name) that picked the pools; null when no rule matched. */
  readonly rule: string | null;
}

/**
 * Records one request that matched a load balancer, however it ended: `result` is null when no
 * origin could be tried, `status` is what the client receives.
 * @example observeRequest(env, ctx, request, proxied, result, response.status);
 */
export function observeRequest(
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  request: Request,
  proxied: ProxiedRequest,
  result: ForwardResult | null,
  status: number,
): void {
  const served = result ? { pool: result.pool.id, origin: result.origin.name } : null;
  const durationMs = Math.max(0, Date.now() - proxied.started);
  const carrier = recordRequest({
    loadBalancer: proxied.loadBalancer,
    choice: proxied.choice,
    pinnedPool: proxied.pinnedPool,
    served,
    status,
    durationMs,
  });
  if (carrier !== null) {
    notePoolActivity(carrier);
    flushReports(env, ctx, Date.now());
  }
  emitEvent(
    env,
    request,
    proxied.requestId,
    proxied.loadBalancer.id,
    status,
    durationMs,
    result,
    proxied.rule,
  );
}

/**
 * Records one request a `respond` or `redirect` rule answered itself with `status`: counted for
 * `/__lb/metrics` under the rule (carried by the next report of the load balancer's first pool),
 * and written to Analytics Engine and the access log like any other request, naming the rule.
 * @example observeRuleAnswer(inbound, match.loadBalancer, ruleMatch.rule, response.status);
 */
export function observeRuleAnswer(
  inbound: Pick<Inbound, "request" | "env" | "ctx" | "requestId" | "started">,
  loadBalancer: LoadBalancer,
  rule: CompiledRule,
  status: number,
): void {
  const { env, ctx } = inbound;
  const carrier = recordRuleResponse(loadBalancer, rule);
  if (carrier !== null) {
    notePoolActivity(carrier);
    flushReports(env, ctx, Date.now());
  }
  const durationMs = Math.max(0, Date.now() - inbound.started);
  emitEvent(env, inbound.request, inbound.requestId, loadBalancer.id, status, durationMs, null, rule.name);
}

/**
 * The request's Analytics Engine data point and, when sampled, its access-log line. The event is
 * built only for a consumer: with neither the dataset nor sampling, nothing is.
 */
function emitEvent(
  env: Env,
  request: Request,
  requestId: string,
  loadBalancer: string,
  status: number,
  durationMs: number,
  result: ForwardResult | null,
  rule: string | null,
): void {
  const logged = sampled(sampleRate(env.REQUEST_LOG_SAMPLE_RATE), Math.random);
  if (!env.ANALYTICS && !logged) return;
  const country = request.cf?.country;
  const event: RequestEvent = {
    requestId,
    loadBalancer,
    pool: result ? result.pool.id : null,
    origin: result ? result.origin.name : null,
    method: request.method,
    status,
    attempts: result?.attempts ?? 0,
    durationMs,
    clientIp: request.headers.get("cf-connecting-ip"),
    country: typeof country === "string" ? country : null,
    rule,
  };
  if (env.ANALYTICS) writeAnalytics(env.ANALYTICS, event);
  if (logged) console.log(accessLogLine(event, Date.now()));
}

/** `REQUEST_LOG_SAMPLE_RATE` parsed, once per value the isolate sees. */
let parsedRate: { readonly value: unknown; readonly rate: number } = { value: undefined, rate: 0 };

function sampleRate(value: unknown): number {
  if (parsedRate.value !== value) parsedRate = { value, rate: parseSampleRate(value) };
  return parsedRate.rate;
}

function writeAnalytics(dataset: AnalyticsEngineDataset, event: RequestEvent): void {
  try {
    dataset.writeDataPoint(analyticsPoint(event));
  } catch (error) {
    // A misconfigured dataset must not fail the request it describes; the log says what is wrong.
    console.log(
      JSON.stringify({ event: "analytics_write_failed", requestId: event.requestId, error: String(error) }),
    );
  }
}
