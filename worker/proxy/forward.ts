/**
 * Forwarding one request: pick an origin, send, and on a retryable failure try another origin (of
 * the pool, then of the load balancer's other pools: retry-route.ts), never the same one twice,
 * within the load balancer's retry policy and the isolate's retry budget. Every attempt's outcome
 * goes to the isolate's counters and the pool's next report at once.
 */
import type { Candidate, PickInput } from "../balancing/types.ts";
import type { LoadBalancer, Origin, Pool } from "../config/schema.ts";
import { bufferBudget } from "../edge/body-budget.ts";
import { recordAttempt } from "../edge/metrics.ts";
import {
  type AttemptOutcome,
  type AttemptTicket,
  beginAttempt,
  isFailure,
  releaseAttempt,
} from "../edge/outcomes.ts";
import { balancerFor } from "../edge/pool-balancers.ts";
import { settleAttempt } from "../edge/pool-view.ts";
import { learnReachability, needsReachability, refusesConnections } from "../edge/refusals.ts";
import { flushReports, notePoolActivity } from "../edge/reports.ts";
import { type RetryBudget, retryBudgetOf } from "../edge/retry-budgets.ts";
import type { Env } from "../env.ts";
import type { UpstreamTarget } from "../http/upstream-target.ts";
import {
  type AttemptRequest,
  type AttemptResult,
  AttemptTimer,
  type Heartbeat,
  sendAttempt,
} from "./attempt.ts";
import { type ForwardingInfo, upstreamRequestHeaders, withOriginHeaders } from "./headers.ts";
import { type HoldContext, heldResponse } from "./hold.ts";
import { type PreparedBody, prepareBody, releaseBody } from "./request-body.ts";
import { type AttemptFailure, decideRetry, failureOfStatus, type RetryCase } from "./retry-policy.ts";
import { type NextTarget, RetryRoute } from "./retry-route.ts";
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

/** A response to pass on: a success, or the last retryable status when retries ran out. */
export interface Answered {
  readonly kind: "response";
  readonly response: Response;
  /**
   * Whether `response` is the load balancer's own (the held body's response), whose headers may be
   * edited in place; the origin's own response has immutable headers and must be copied.
   */
  readonly own: boolean;
  readonly pool: Pool;
  readonly origin: Origin;
  readonly attempts: number;
  readonly originMs: number;
}

export type ForwardResult =
  | Answered
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
 * Sends the request to one origin of `pool`, retrying on other origins as the policy allows. The
 * phases of one attempt, in order: `upstreamPeer` (which origin), `sendAttempt` (connect, send, wait
 * for the response headers), `settle` (health, metrics, reports, budget), then on a failure
 * `retryTarget` (the retry decision: retry-policy.ts `decideRetry`) or the final result.
 * @example const result = await forward({ request, pathAndQuery, loadBalancer, pool, candidates, info, edge });
 */
export function forward(input: ForwardInput): Promise<ForwardResult> {
  const job = new Forwarding(input, Date.now());
  // Without a body nothing is kept in memory to give back, and no wrapper waits for the job.
  return input.request.body === null ? forwardJob(job) : forwardKeeping(job);
}

/** `forwardJob` for a request with a body: what it kept in memory is given back however it ends. */
async function forwardKeeping(job: Forwarding): Promise<ForwardResult> {
  try {
    return await forwardJob(job);
  } finally {
    releaseBody(job.prepared, bufferBudget);
  }
}

async function forwardJob(job: Forwarding): Promise<ForwardResult> {
  if (job.input.request.body !== null) await job.keepBody();
  for (;;) {
    const origin = upstreamPeer(job);
    const result = await sendAttempt(job.target, job, job.loadBalancer.timeouts.requestMs, null, job.timer);
    const failure = settle(job, origin, result);
    if (failure === null && result.kind === "response") return answered(job, origin, result);
    let next: NextTarget | null;
    try {
      next = failure === null ? null : await retryTarget(job, origin, failure);
    } catch (error) {
      release(job);
      throw error;
    }
    if (next === null) return finalResult(job, result, origin);
    release(job);
    if (result.kind === "response") await result.response.body?.cancel();
    job.moveTo(next);
  }
}

/**
 * One request's forwarding: what it sends, where it stands (pool, candidates, attempt) and what its
 * retries have spent. It is also what each attempt hands on, so an attempt allocates none of these:
 * the balancer's `PickInput`, the attempt's `AttemptRequest`, the `Heartbeat` that keeps this
 * isolate's reports going out while an attempt waits for its response headers (and while the
 * answer's body is held, on the same timer), and the `HoldContext` of that body.
 */
class Forwarding implements Heartbeat, AttemptRequest, PickInput, HoldContext {
  readonly everyMs = REPORT_HEARTBEAT_MS;
  readonly input: ForwardInput;
  readonly loadBalancer: LoadBalancer;
  readonly edge: EdgeContext | undefined;
  readonly method: string;
  readonly maxAttempts: number;
  readonly budget: RetryBudget;
  readonly baseHeaders: Headers;
  /** The request's key for consistent hashing (`PickInput`). */
  readonly key: string | undefined;
  readonly random = Math.random;
  prepared: PreparedBody = NO_BODY;
  /** Where retries may go; made when a request may need it (a body to keep, or a first failure). */
  route: RetryRoute | null = null;
  pool: Pool;
  candidates: readonly Candidate[];
  /** The current attempt: its number (from 1), target and headers. */
  attempt = 0;
  target: UpstreamTarget = NO_TARGET;
  headers: Headers;
  /** The current attempt's mark among its origin's in-flight attempts, until it is released. */
  ticket: AttemptTicket | null = null;
  /** Whether this attempt is a retry the budget let through; it pays if it fails too (retry-budgets.ts). */
  paid = false;
  /** The one timer of the request's attempts and of its held body; it beats only with an edge. */
  readonly timer: AttemptTimer;

  /** Counts the request in the load balancer's retry budget. */
  constructor(input: ForwardInput, now: number) {
    this.input = input;
    this.loadBalancer = input.loadBalancer;
    this.edge = input.edge;
    this.method = input.request.method;
    this.key = input.key;
    this.maxAttempts = 1 + input.loadBalancer.retries.attempts;
    this.budget = retryBudgetOf(input.loadBalancer.id, now);
    this.budget.deposit(now);
    this.baseHeaders = upstreamRequestHeaders(input.request.headers, input.info);
    this.headers = this.baseHeaders;
    this.pool = input.pool;
    this.candidates = input.candidates;
    this.timer = new AttemptTimer(input.edge ? this : null);
  }

  /** Reads the request body: kept in memory when a retry may need it and it fits the budget. */
  async keepBody(): Promise<void> {
    const { request, loadBalancer } = this.input;
    if (this.maxAttempts > 1) this.route = new RetryRoute(loadBalancer, this.input.pool, this.edge?.pools);
    const keep = this.route !== null && this.route.originCount() > 1;
    this.prepared = await prepareBody(request, loadBalancer.retries.bufferBodyBytes, keep, bufferBudget);
  }

  /** The body of every attempt (`AttemptRequest`): none, held in memory, or the client's stream. */
  get body(): Uint8Array | ReadableStream<Uint8Array> | null {
    return this.prepared.body;
  }

  /** Whether the client's side of a streamed body broke off (`AttemptRequest`). */
  bodyBroke(): boolean {
    return !this.prepared.replayable && this.prepared.broke();
  }

  beat(): void {
    if (this.edge) flushReports(this.edge.env, this.edge.ctx, Date.now());
  }

  /** Background work of the held body (`HoldContext`); only called with an edge. */
  waitUntil(promise: Promise<unknown>): void {
    this.edge?.ctx.waitUntil(promise);
  }

  moveTo(next: NextTarget): void {
    this.pool = next.pool;
    this.candidates = next.candidates;
  }
}

const NO_TARGET: UpstreamTarget = { url: "", resolveOverride: null };

/**
 * Phase `upstreamPeer`: the origin of the next attempt (the pool's balancer among the candidates),
 * its URL and headers; the attempt counts as in flight from here until `settle`.
 */
function upstreamPeer(job: Forwarding): Origin {
  const pool = job.pool;
  const picked = balancerFor(pool).pick(job);
  const origin = picked ? pool.origins[picked.index] : undefined;
  if (!origin)
    throw new Error(`balancer of pool "${pool.id}" returned no origin from ${job.candidates.length}`);
  job.attempt++;
  job.route?.markTried(pool, origin.name);
  job.target = upstreamTarget(origin, job.input.pathAndQuery);
  job.headers = withOriginHeaders(job.baseHeaders, origin.headers);
  job.ticket = beginAttempt(pool.id, origin);
  notePoolActivity(pool.id);
  return origin;
}

/**
 * Phase `settle`: the attempt's outcome goes to the origin's counters (in flight, passive health)
 * and the metrics, and a failure to the pool's report at once; a paid retry that failed too pays.
 * Returns how the attempt failed, or null when its response is the answer.
 */
function settle(job: Forwarding, origin: Origin, result: AttemptResult): AttemptFailure | null {
  const { pool, loadBalancer, edge } = job;
  const outcome = outcomeOf(result);
  // The outcome is known here; the attempt stays in flight until its response is over (`hold`).
  if (job.ticket) settleAttempt(pool, job.ticket, outcome, Date.now());
  recordAttempt({
    loadBalancer: loadBalancer.id,
    pool: pool.id,
    origin: origin.name,
    outcome,
    attempt: job.attempt,
  });
  // A failure may eject the origin: it goes out at once. Other news rides on the flush every
  // request makes when it ends (observe.ts).
  if (edge && isFailure(outcome)) flushReports(edge.env, edge.ctx, Date.now());
  const failure =
    result.kind === "response" ? failureOfStatus(result.response.status, loadBalancer.retries) : result.kind;
  if (job.paid && loadedAndFailed(outcome)) job.budget.charge(Date.now());
  if (failure === null && edge && needsReachability(origin, job.target)) {
    edge.ctx.waitUntil(learnReachability(job.target));
  }
  return failure;
}

/** The client's answer: the response of the attempt that succeeded. */
function answered(
  job: Forwarding,
  origin: Origin,
  result: Extract<AttemptResult, { kind: "response" }>,
): ForwardResult {
  const response = holdUntilOver(job, result.response);
  return {
    kind: "response",
    response,
    own: response !== result.response,
    pool: job.pool,
    origin,
    attempts: job.attempt,
    originMs: result.latencyMs,
  };
}

/** Phase `hold`: the attempt that answers stays in flight until its response is over (hold.ts). */
function holdUntilOver(job: Forwarding, response: Response): Response {
  const ticket = job.ticket;
  job.ticket = null;
  if (ticket === null || !job.edge) {
    job.timer.stop();
    if (ticket !== null) releaseAttempt(ticket);
    return response;
  }
  return heldResponse(response, ticket, job);
}

/** The current attempt no longer counts as in flight (it failed, or its response is discarded). */
function release(job: Forwarding): void {
  if (job.ticket) releaseAttempt(job.ticket);
  job.ticket = null;
}

/**
 * Phase `retryTarget`, after a failed attempt: the next pool and candidates, or null when the
 * failure is final. The decision is `decideRetry` (retry-policy.ts); this phase gathers what it looks
 * at, asks the network when it says `probe`, takes the budget's credit and logs a spent budget.
 */
async function retryTarget(
  job: Forwarding,
  origin: Origin,
  failure: AttemptFailure,
): Promise<NextTarget | null> {
  const { loadBalancer, pool } = job;
  if (job.route === null) {
    // Only the first attempt runs without a route: it was made in the first pool.
    job.route = new RetryRoute(loadBalancer, job.input.pool, job.edge?.pools);
    job.route.markTried(pool, origin.name);
  }
  const next = job.attempt < job.maxAttempts ? job.route.next(Date.now()) : null;
  const question: RetryCase = {
    failure,
    method: job.method,
    retries: loadBalancer.retries,
    bodyReplayable: job.prepared.replayable,
    nextTarget: next !== null,
    probed: false,
    budgetAllows: job.budget.allows(Date.now()),
  };
  let decision = decideRetry(question);
  if (decision === "probe") {
    const refused = await refusesConnections(job.target);
    decision = decideRetry({ ...question, failure: refused ? "refused" : failure, probed: true });
  }
  if (decision === "budget_spent" && job.budget.shouldLogDenial(Date.now())) {
    console.log(
      JSON.stringify({
        event: "retry_budget_exhausted",
        loadBalancer: loadBalancer.id,
        pool: pool.id,
        failure,
      }),
    );
  }
  if (decision !== "retry" && decision !== "retry_paid") return null;
  job.paid = decision === "retry_paid";
  return next;
}

/** An attempt that reached an origin and failed there: it timed out or got a 5xx of the origin's own. */
function loadedAndFailed(outcome: AttemptOutcome): boolean {
  return isFailure(outcome) && outcome.error !== "connect";
}

function finalResult(job: Forwarding, result: AttemptResult, origin: Origin): ForwardResult {
  const { pool, attempt: attempts } = job;
  if (result.kind !== "response") release(job);
  switch (result.kind) {
    case "timeout":
      return { kind: "timeout", pool, origin, attempts };
    case "connect":
      return { kind: "unreachable", pool, origin, attempts, message: result.message };
    case "response": {
      const response = holdUntilOver(job, result.response);
      return {
        kind: "response",
        response,
        own: response !== result.response,
        pool,
        origin,
        attempts,
        originMs: result.latencyMs,
      };
    }
  }
}

function outcomeOf(result: AttemptResult): AttemptOutcome {
  switch (result.kind) {
    case "response":
      return { status: result.response.status, error: null, latencyMs: result.latencyMs };
    case "timeout":
      return { status: null, error: "timeout", latencyMs: result.latencyMs };
    case "connect":
      // Refused by the runtime, or the client's upload broke off: nothing the origin did.
      return {
        status: null,
        error: result.cause === "client" ? "client" : "connect",
        latencyMs: result.latencyMs,
      };
  }
}
