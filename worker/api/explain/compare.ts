/**
 * `POST /explain`: for each described request, where it goes now and where it would go under a
 * candidate configuration, and a summary of what the change would move (API.md, "Explain, for a
 * candidate configuration").
 *
 * Both answers come from the same trace as `GET /explain` (./trace.ts), on the live configuration
 * and on the candidate, with the live pool health. Nothing is changed: the candidate is validated
 * but never stored, pools it changes get balancers of their own (the isolate's are only peeked for
 * pools it leaves as they are), and a decision that draws a random number gets the same number in
 * both runs, so a request moves only when the configuration moves it.
 */
import { createBalancer } from "../../balancing/index.ts";
import type { Balancer } from "../../balancing/types.ts";
import { sameResource } from "../../config/diff.ts";
import { parseConfigDocument } from "../../config/document.ts";
import type { ConfigSnapshot, LoadBalancer, Pool } from "../../config/schema.ts";
import { getConfig } from "../../edge/config-cache.ts";
import { indexConfig } from "../../edge/config-index.ts";
import { balancerFor } from "../../edge/pool-balancers.ts";
import type { Env } from "../../env.ts";
import { type FieldError, ProblemError, problemType } from "../../http/problem.ts";
import { poolFor } from "../redact.ts";
import type { ComparedRequest, Impact, ImpactSummary, Moved, Placement } from "./impact-schema.ts";
import { type DescribedRequest, describeRequestItem } from "./query.ts";
import type { Explanation } from "./schema.ts";
import { explainRequest, type TraceOptions } from "./trace.ts";

/** Requests one call may describe. */
export const MAX_EXPLAIN_REQUESTS = 1000;

/** Parses the body: `{ config?, requests }`; throws one 400 naming every problem. */
export function parseImpactBody(body: Record<string, unknown>): {
  config: unknown;
  requests: DescribedRequest[];
} {
  const errors: FieldError[] = [];
  for (const key of Object.keys(body)) {
    if (key !== "config" && key !== "requests") errors.push({ path: key, message: "unknown field" });
  }
  const list = body.requests;
  const requests: DescribedRequest[] = [];
  if (!Array.isArray(list) || list.length === 0) {
    errors.push({
      path: "requests",
      message: 'is required: a list of at least one request, e.g. [{ "url": "https://www.example.com/" }]',
    });
  } else if (list.length > MAX_EXPLAIN_REQUESTS) {
    errors.push({ path: "requests", message: `must have at most ${MAX_EXPLAIN_REQUESTS} requests` });
  } else {
    list.forEach((item, i) => {
      const described = describeRequestItem(item, `requests[${i}]`, errors);
      if (described) requests.push(described);
    });
  }
  if (errors.length > 0) throw invalid(errors);
  return { config: body.config, requests };
}

/**
 * Explains each request under the live configuration and under `candidate` (the live one again
 * when undefined), and sums up what would move.
 */
export async function explainImpact(
  candidateInput: unknown,
  requests: readonly DescribedRequest[],
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
): Promise<Impact> {
  const live = await getConfig(env, ctx);
  const livePools = indexConfig(live).pools;
  const candidate = candidateInput === undefined ? null : candidateSnapshot(live, candidateInput);
  const fresh = new Map<string, Balancer>();
  const candidateOptions: TraceOptions = candidate
    ? {
        config: candidate.snapshot,
        healthPools: livePools,
        balancerOf: (pool) => {
          // Pools the candidate leaves as they are keep this isolate's balancer (only peeked).
          if (!candidate.changedPools.has(pool.id)) return balancerFor(pool);
          let balancer = fresh.get(pool.id);
          if (!balancer) {
            balancer = createBalancer(pool.algorithm, pool.origins);
            fresh.set(pool.id, balancer);
          }
          return balancer;
        },
      }
    : {};
  const items: ComparedRequest[] = [];
  for (let i = 0; i < requests.length; i++) {
    const described = requests[i] as DescribedRequest;
    // The pool's and the origin's draws get a source each, the same on both sides.
    const draws = (): TraceOptions => ({ random: seeded(i, 0), originRandom: seeded(i, 1), points: 1 });
    const now = await explainRequest(described, env, ctx, draws());
    const next = await explainRequest(described, env, ctx, { ...candidateOptions, ...draws() });
    items.push(compare(described, placementOf(now), placementOf(next)));
  }
  return {
    configVersion: live.version,
    items,
    summary: summarize(items),
  };
}

/**
 * The candidate document as a configuration snapshot: unchanged resources are the live objects. A
 * pool counts as unchanged when only its header values differ: they do not route, and an answer
 * that told a right header value from a wrong one would let the read token test guesses of it.
 */
function candidateSnapshot(
  live: ConfigSnapshot,
  input: unknown,
): { snapshot: ConfigSnapshot; changedPools: Set<string> } {
  const parsed = parseConfigDocument(input);
  if (!parsed.ok) {
    throw invalid(
      parsed.errors.map((error) => ({
        path: error.path ? `config.${error.path}` : "config",
        message: error.message,
      })),
    );
  }
  const pools = new Map(live.pools.map((pool) => [pool.id, pool]));
  const lbs = new Map(live.loadBalancers.map((lb) => [lb.id, lb]));
  const changedPools = new Set<string>();
  const candidatePools = parsed.value.pools.map((spec): Pool => {
    const current = pools.get(spec.id);
    if (current && sameResource(poolFor("read", current), poolFor("read", spec))) return current;
    changedPools.add(spec.id);
    // The live version keeps this isolate's caches from taking the candidate for a newer pool.
    return { ...spec, version: current?.version ?? 0 } as Pool;
  });
  const candidateLbs = parsed.value.loadBalancers.map((spec): LoadBalancer => {
    const current = lbs.get(spec.id);
    if (current && sameResource(current, spec)) return current;
    return { ...spec, version: current?.version ?? 0 } as LoadBalancer;
  });
  return {
    snapshot: { version: live.version, pools: candidatePools, loadBalancers: candidateLbs },
    changedPools,
  };
}

function placementOf(explanation: Explanation): Placement {
  const affinity = explanation.affinity;
  return {
    outcome: explanation.outcome,
    loadBalancer: explanation.loadBalancer?.id ?? null,
    pool: explanation.pool?.id ?? null,
    origin: explanation.origin?.name ?? null,
    status: explanation.wouldRespond?.status ?? null,
    affinity: affinity && affinity.type !== "none" ? (affinity.outcome ?? null) : null,
    // The marks GET /explain gives, from the same trace.
    decided: {
      pool: explanation.pool?.decided ?? null,
      origin: explanation.origin?.decided ?? null,
    },
  };
}

function compare(described: DescribedRequest, now: Placement, candidate: Placement): ComparedRequest {
  const loadBalancer = now.loadBalancer !== candidate.loadBalancer;
  const pool = loadBalancer || now.pool !== candidate.pool || now.status !== candidate.status;
  const origin = pool || now.origin !== candidate.origin;
  return {
    request: { url: described.url.href, method: described.method },
    now,
    candidate,
    changed: { loadBalancer, pool, origin },
    breaksAffinity: now.affinity === "pinned" && origin,
  };
}

function summarize(items: readonly ComparedRequest[]): ImpactSummary {
  const total = items.length;
  const share = (count: number): Moved => ({
    count,
    share: total === 0 ? 0 : Math.round((count / total) * 1000) / 1000,
  });
  const moved = (key: keyof ComparedRequest["changed"]): Moved =>
    share(items.filter((item) => item.changed[key]).length);
  const drawnBothSides = (item: ComparedRequest, step: "pool" | "origin"): boolean =>
    item.now.decided[step] === "draw" && item.candidate.decided[step] === "draw";
  // A pool drawn on both sides that differs; the origin moves with it.
  const drawnPool = (item: ComparedRequest): boolean =>
    item.changed.pool && !item.changed.loadBalancer && drawnBothSides(item, "pool");
  const drawnOrigin = (item: ComparedRequest): boolean =>
    item.changed.origin && (item.changed.pool ? drawnPool(item) : drawnBothSides(item, "origin"));
  return {
    requests: total,
    changed: { loadBalancer: moved("loadBalancer"), pool: moved("pool"), origin: moved("origin") },
    drawn: {
      pool: share(items.filter(drawnPool).length),
      origin: share(items.filter(drawnOrigin).length),
    },
    affinityPinsBroken: items.filter((item) => item.breaksAffinity).length,
  };
}

/** A small deterministic random source per request and step (mulberry32), the same in both runs. */
function seeded(index: number, step: number): () => number {
  let state = (index + 1) * 0x9e3779b9 + step * 0x85ebca6b;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function invalid(errors: FieldError[]): ProblemError {
  return new ProblemError(
    400,
    `The request has ${errors.length} invalid field${errors.length === 1 ? "" : "s"}; see errors.`,
    {
      type: problemType("validation"),
      title: "Validation failed",
      errors: errors.slice(0, 100),
    },
  );
}
