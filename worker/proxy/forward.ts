/**
 * Forwarding one request: pick an origin, send, and on a retryable failure try another origin (of
 * the pool, then of the load balancer's other pools: retry-route.ts), never the same one twice,
 * within the load balancer's retry policy and the isolate's retry budget. Every attempt's outcome
 * goes to the isolate's counters and the pool's next report at once.
 */
import type { Candidate } from "../balancing/types.ts";
import type { LoadBalancer, Origin, Pool } from "../config/schema.ts";
import { balancerFor } from "../edge/balancers.ts";
import { recordAttempt } from "../edge/metrics.ts";
import { type AttemptOutcome, beginAttempt, isFailure } from "../edge/outcomes.ts";
import { settleAttempt } from "../edge/pool-view.ts";
import { learnReachability, needsReachability, refusesConnections } from "../edge/refusals.ts";
import { flushReports, notePoolActivity } from "../edge/reports.ts";
import { retryBudgetOf } from "../edge/retry-budgets.ts";
import type { Env } from "../env.ts";
import { type AttemptResult, type Heartbeat, sendAttempt } from "./attempt.ts";
import { type ForwardingInfo, upstreamRequestHeaders, withOriginHeaders } from "./headers.ts";
import { type PreparedBody, prepareBody } from "./request-body.ts";
import {
  type AttemptFailure,
  failureOfStatus,
  isRetryableMethod,
  mayRetry,
  spendsBudget,
} from "./retry-policy.ts";
import { RetryRoute } from "./retry-route.ts";
import { upstreamTarget } from "./upstream-url.ts";

/** While an attempt waits for headers, reports go out at least this often (in-flight figures). */
const REPORT_HEARTBEAT_MS = 1000;
const NO_BODY: PreparedBody = { replayable: true, body: null };

/** What forwarding needs from the rest of the edge: reports, background work, the other pools. */
export interface EdgeContext {
  readonly env: Env;
  readonly ctx: Pick<ExecutionContext, "waitUntil">;
  /** Every pool of the configuration by id, so retries can continue on the load balancer's other pools. */
  readonly pools: ReadonlyMap<string, Pool>;
}

export interface ForwardInput {
  readonly request: Request;
  /** Path and query of the client's request, e.g. `/cart?id=1`. */
  readonly pathAndQuery: string;
  readonly loadBalancer: LoadBalancer;
  readonly pool: Pool;
  /** The pool's usable origins for the first attempt (non-empty). */
  readonly candidates: readonly Candidate[];
  readonly info: ForwardingInfo;
  /** The request's key for consistent hashing (algorithm "hash"). */
  readonly key?: string | undefined;
  /** Without it, retries stay in `pool` and nothing is reported to the PoolState. */
  readonly edge?: EdgeContext | undefined;
}

export type ForwardResult =
  /** A response to pass on: a success, or the last retryable status when retries ran out. */
  | {
      readonly kind: "response";
      readonly response: Response;
      readonly pool: Pool;
      readonly origin: Origin;
      readonly attempts: number;
      readonly originMs: number;
    }
  /** Every attempt failed and the last one timed out. */
  | { readonly kind: "timeout"; readonly pool: Pool; readonly origin: Origin; readonly attempts: number }
  /** Every attempt failed and the last one could not connect. */
  | {
      readonly kind: "unreachable";
      readonly pool: Pool;
      readonly origin: Origin;
      readonly attempts: number;
      readonly message: string;
    };

/**
 * Sends the request to one origin of `pool`, retrying on other origins as the policy allows.
 * @example const result = await forward({ request, pathAndQuery, loadBalancer, pool, candidates, info, edge });
 */
export async function forward(input: ForwardInput): Promise<ForwardResult> {
  const { request, loadBalancer, edge } = input;
  const { retries } = loadBalancer;
  const method = request.method;
  const now = Date.now();
  const budget = retryBudgetOf(loadBalancer.id, now);
  budget.deposit(now);
  const maxAttempts = 1 + retries.attempts;
  // Made when a request may need it: a body to keep for retries, or a first failure.
  let route: RetryRoute | null =
    maxAttempts > 1 && request.body !== null ? new RetryRoute(loadBalancer, input.pool, edge?.pools) : null;
  const body =
    request.body === null
      ? NO_BODY
      : await prepareBody(request, retries.bufferBodyBytes, route !== null && route.originCount() > 1);
  const baseHeaders = upstreamRequestHeaders(request.headers, input.info);
  const heartbeat = edge ? new ReportHeartbeat(edge) : null;
  let pool = input.pool;
  let candidates = input.candidates;
  // Whether this attempt is a retry the budget let through; it pays if it fails too (retry-budget.ts).
  let paid = false;
  for (let attempts = 1; ; attempts++) {
    const picked = balancerFor(pool).pick({ candidates, key: input.key, random: Math.random });
    const origin = picked ? pool.origins[picked.index] : undefined;
    if (!origin)
      throw new Error(`balancer of pool "${pool.id}" returned no origin from ${candidates.length}`);
    route?.markTried(pool, origin.name);
    const target = upstreamTarget(origin, input.pathAndQuery);
    const headers = withOriginHeaders(baseHeaders, origin.headers);
    const ticket = beginAttempt(pool.id, origin.name);
    notePoolActivity(pool.id);
    const result = await sendAttempt(
      target,
      { method, headers, body: body.body },
      loadBalancer.timeouts.requestMs,
      heartbeat,
    );
    const outcome = outcomeOf(result);
    settleAttempt(pool, ticket, outcome, Date.now());
    recordAttempt({
      loadBalancer: loadBalancer.id,
      pool: pool.id,
      origin: origin.name,
      outcome,
      attempt: attempts,
    });
    // A failure may eject the origin: it goes out at once. Other news rides on the flush every
    // request makes when it ends (edge/observe.ts).
    if (edge && isFailure(outcome)) flushReports(edge.env, edge.ctx, Date.now());
    let failure: AttemptFailure | null =
      result.kind === "response" ? failureOfStatus(result.response.status, retries) : result.kind;
    if (paid && loadedAndFailed(outcome, failure)) budget.charge(Date.now());
    if (failure === null && result.kind === "response") {
      if (edge && needsReachability(origin, target)) edge.ctx.waitUntil(learnReachability(target));
      return {
        kind: "response",
        response: result.response,
        pool,
        origin,
        attempts,
        originMs: result.latencyMs,
      };
    }
    if (failure !== null && route === null) {
      // Only the first attempt ran without a route: it was made in the first pool.
      route = new RetryRoute(loadBalancer, input.pool, edge?.pools);
      route.markTried(pool, origin.name);
    }
    const next = failure !== null && attempts < maxAttempts && route ? route.next(Date.now()) : null;
    if (next && failure === "connect" && body.replayable && !isRetryableMethod(method, retries)) {
      if (await refusesConnections(target)) failure = "refused";
    }
    const grant =
      next !== null &&
      failure !== null &&
      mayRetry({ failure, method, retries, bodyReplayable: body.replayable })
        ? budgetGrant(budget, failure, loadBalancer.id, pool.id)
        : "denied";
    if (grant === "denied" || !next) return await finalResult(result, failure, pool, origin, attempts);
    paid = grant === "paid";
    if (result.kind === "response") await result.response.body?.cancel();
    pool = next.pool;
    candidates = next.candidates;
  }
}

/** While an attempt waits for its response headers, this isolate's reports keep going out. */
class ReportHeartbeat implements Heartbeat {
  readonly everyMs = REPORT_HEARTBEAT_MS;
  readonly #edge: EdgeContext;

  constructor(edge: EdgeContext) {
    this.#edge = edge;
  }

  beat(): void {
    flushReports(this.#edge.env, this.#edge.ctx, Date.now());
  }
}

/** Whether the retry budget lets this failure be retried, and whether the retry answers to it. */
function budgetGrant(
  budget: ReturnType<typeof retryBudgetOf>,
  failure: AttemptFailure,
  loadBalancer: string,
  pool: string,
): "free" | "paid" | "denied" {
  if (!spendsBudget(failure)) return "free";
  const now = Date.now();
  if (budget.allows(now)) return "paid";
  if (budget.shouldLogDenial(now)) {
    console.log(JSON.stringify({ event: "retry_budget_exhausted", loadBalancer, pool, failure }));
  }
  return "denied";
}

/** An attempt that reached an origin and failed there: it timed out or got a 5xx of the origin's own. */
function loadedAndFailed(outcome: AttemptOutcome, failure: AttemptFailure | null): boolean {
  return isFailure(outcome) && outcome.error !== "connect" && failure !== "not_sent";
}

async function finalResult(
  result: AttemptResult,
  failure: AttemptFailure | null,
  pool: Pool,
  origin: Origin,
  attempts: number,
): Promise<ForwardResult> {
  switch (result.kind) {
    case "timeout":
      return { kind: "timeout", pool, origin, attempts };
    case "connect":
      return { kind: "unreachable", pool, origin, attempts, message: result.message };
    case "response":
      if (failure === "not_sent") {
        await result.response.body?.cancel();
        return {
          kind: "unreachable",
          pool,
          origin,
          attempts,
          message: `edge answered ${result.response.status}`,
        };
      }
      return {
        kind: "response",
        response: result.response,
        pool,
        origin,
        attempts,
        originMs: result.latencyMs,
      };
  }
}

function outcomeOf(result: AttemptResult): AttemptOutcome {
  switch (result.kind) {
    case "response":
      return { status: result.response.status, error: null, latencyMs: result.latencyMs };
    case "timeout":
      return { status: null, error: "timeout", latencyMs: result.latencyMs };
    case "connect":
      return { status: null, error: "connect", latencyMs: result.latencyMs };
  }
}
