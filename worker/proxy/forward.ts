/**
 * Forwarding one request to the origins of one pool: pick an origin, send, and on a retryable
 * failure try another origin of the pool, never the same one twice, within the load balancer's
 * retry policy.
 */
import type { Candidate } from "../balancing/types.ts";
import type { LoadBalancer, Origin, Pool } from "../config/schema.ts";
import { balancerFor } from "../edge/balancers.ts";
import { type AttemptOutcome, beginAttempt, endAttempt } from "../edge/outcomes.ts";
import { usableCandidates } from "../edge/pool-view.ts";
import { type AttemptResult, sendAttempt } from "./attempt.ts";
import { type ForwardingInfo, upstreamRequestHeaders } from "./headers.ts";
import { prepareBody } from "./request-body.ts";
import { type AttemptFailure, failureOfStatus, mayRetry } from "./retry-policy.ts";
import { upstreamTarget } from "./upstream-url.ts";

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
}

export type ForwardResult =
  /** A response to pass on: a success, or the last retryable status when retries ran out. */
  | {
      readonly kind: "response";
      readonly response: Response;
      readonly origin: Origin;
      readonly attempts: number;
      readonly originMs: number;
    }
  /** Every attempt failed and the last one timed out. */
  | { readonly kind: "timeout"; readonly origin: Origin; readonly attempts: number }
  /** Every attempt failed and the last one could not connect. */
  | {
      readonly kind: "unreachable";
      readonly origin: Origin;
      readonly attempts: number;
      readonly message: string;
    };

/**
 * Sends the request to one origin of `pool`, retrying on other origins as the policy allows.
 * @example const result = await forward({ request, pathAndQuery, loadBalancer, pool, candidates, info });
 */
export async function forward(input: ForwardInput): Promise<ForwardResult> {
  const { request, loadBalancer, pool } = input;
  const { retries } = loadBalancer;
  const maxAttempts = 1 + retries.attempts;
  const canRetryAtAll = maxAttempts > 1 && pool.origins.length > 1;
  const body = await prepareBody(request, retries.bufferBodyBytes, canRetryAtAll);
  const balancer = balancerFor(pool);
  const tried = new Set<string>();
  let candidates = input.candidates;
  for (let attempts = 1; ; attempts++) {
    const picked = balancer.pick({ candidates, key: input.key, random: Math.random });
    const origin = picked ? pool.origins[picked.index] : undefined;
    if (!origin)
      throw new Error(`balancer of pool "${pool.id}" returned no origin from ${candidates.length}`);
    tried.add(origin.name);
    const headers = upstreamRequestHeaders(request.headers, input.info, origin.headers);
    const ticket = beginAttempt(pool.id, origin.name);
    const result = await sendAttempt(
      upstreamTarget(origin, input.pathAndQuery),
      { method: request.method, headers, body: body.body },
      loadBalancer.timeouts.requestMs,
    );
    endAttempt(ticket, outcomeOf(result));
    const failure =
      result.kind === "response" ? failureOfStatus(result.response.status, retries) : result.kind;
    if (failure === null && result.kind === "response") {
      return { kind: "response", response: result.response, origin, attempts, originMs: result.latencyMs };
    }
    const next =
      failure !== null &&
      attempts < maxAttempts &&
      mayRetry({ failure, method: request.method, retries, bodyReplayable: body.replayable })
        ? usableCandidates(pool, Date.now(), tried)
        : [];
    if (next.length === 0) return await finalResult(result, failure, origin, attempts);
    if (result.kind === "response") await result.response.body?.cancel();
    candidates = next;
  }
}

async function finalResult(
  result: AttemptResult,
  failure: AttemptFailure | null,
  origin: Origin,
  attempts: number,
): Promise<ForwardResult> {
  switch (result.kind) {
    case "timeout":
      return { kind: "timeout", origin, attempts };
    case "connect":
      return { kind: "unreachable", origin, attempts, message: result.message };
    case "response":
      if (failure === "not_sent") {
        await result.response.body?.cancel();
        return { kind: "unreachable", origin, attempts, message: `edge answered ${result.response.status}` };
      }
      return { kind: "response", response: result.response, origin, attempts, originMs: result.latencyMs };
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
