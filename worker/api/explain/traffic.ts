/**
 * The traffic-management steps of an explanation: which rule matched and why each earlier one did
 * not, what a matching rule does, the facts `hash` steering and the pool override read, and whether
 * the request would be mirrored. Runs the proxy's own code (routing/rules.ts, proxy/traffic.ts).
 */
import { z } from "zod";
import type { LoadBalancer } from "../../config/schema.ts";
import { ruleRequestOf, type SteeringFacts, steeringFacts } from "../../proxy/traffic.ts";
import { declaredBodyBytes, mirrorVerdict } from "../../routing/mirror.ts";
import { compileRules, type RuleTrace, redirectLocation, traceRules } from "../../routing/rules.ts";
import type { DescribedRequest } from "./query.ts";

export const RuleStepSchema = z
  .object({
    rule: z.string(),
    matched: z.boolean(),
    reason: z.string().meta({ description: "Why it matched, or the first condition that did not hold." }),
  })
  .meta({ description: "One rule looked at, in order, up to the one that matched." });

export const RuleActionSchema = z
  .object({
    name: z.string(),
    action: z.enum(["pools", "respond", "redirect"]),
    pools: z.array(z.string()).optional(),
    status: z.number().int().optional(),
    location: z.string().optional(),
  })
  .meta({ description: "The rule that decides, and what it does." });

export const SplitStepSchema = z
  .object({
    splitOn: z.string(),
    key: z
      .string()
      .meta({ description: "The request's key (the client address when the named source is absent)." }),
    overridePool: z.string().nullable(),
  })
  .meta({ description: "What steering hash and poolOverrideHeader read off the request." });

export const MirrorStepSchema = z
  .object({
    pool: z.string(),
    share: z.number().meta({ description: "Share of such requests that would be copied, 0 to 1." }),
    reason: z.string(),
  })
  .meta({ description: "Whether such a request would be copied to the mirror pool." });

export interface TrafficSteps {
  /** The load balancer to route with: a `pools` rule's, or the matched one. */
  readonly loadBalancer: LoadBalancer;
  readonly rules: RuleTrace[];
  readonly rule: z.output<typeof RuleActionSchema> | null;
  /** The answer of a `respond` or `redirect` rule. */
  readonly answer: { status: number; headers: Record<string, string>; body?: string } | null;
  readonly steering: SteeringFacts;
  readonly split: z.output<typeof SplitStepSchema> | null;
  readonly mirror: z.output<typeof MirrorStepSchema> | null;
}

/**
 * The traffic steps for `described` on `loadBalancer`.
 * @example const traffic = explainTraffic(match.loadBalancer, described);
 */
export function explainTraffic(loadBalancer: LoadBalancer, described: DescribedRequest): TrafficSteps {
  const request = new Request(described.url, { method: described.method, headers: described.headers });
  const facts = { ...ruleRequestOf(request, described.url), ...described.location };
  const compiled = compileRules(loadBalancer);
  const rules = traceRules(compiled, facts);
  const matched = rules.at(-1)?.matched ? compiled[rules.length - 1] : undefined;
  let routed = loadBalancer;
  let rule: TrafficSteps["rule"] = null;
  let answer: TrafficSteps["answer"] = null;
  if (matched) {
    const action = matched.action;
    if (action.kind === "pools") {
      routed = action.loadBalancer;
      rule = { name: matched.name, action: "pools", pools: [...routed.pools] };
    } else if (action.kind === "respond") {
      const { status, body, contentType, headers } = action.respond;
      rule = { name: matched.name, action: "respond", status };
      answer = { status, headers: { ...headers, "content-type": contentType }, body };
    } else {
      const location = redirectLocation(action.redirect, described.url);
      rule = { name: matched.name, action: "redirect", status: action.redirect.status, location };
      answer = { status: action.redirect.status, headers: { location } };
    }
  }
  const steering = steeringFacts(request, described.url, routed, described.ip);
  const split =
    routed.steering === "hash" || routed.poolOverrideHeader
      ? {
          splitOn: routed.splitOn,
          key: steering.splitKey ?? "",
          overridePool: steering.overridePool ?? null,
        }
      : null;
  return {
    loadBalancer: routed,
    rules,
    rule,
    answer,
    steering,
    split,
    mirror: explainMirror(loadBalancer, described),
  };
}

function explainMirror(loadBalancer: LoadBalancer, described: DescribedRequest): TrafficSteps["mirror"] {
  const mirror = loadBalancer.mirror;
  if (!mirror) return null;
  const declared = declaredBodyBytes(described.headers.get("content-length"), described.method !== "GET");
  const verdict = mirrorVerdict(mirror, described.method, declared ?? 0, () => 0);
  const share = verdict === "mirror" || verdict === "sampled_out" ? mirror.percent / 100 : 0;
  const reason =
    verdict === "method"
      ? `${described.method} is not one of ${mirror.methods.join(", ")}`
      : verdict === "too_large"
        ? `the body is larger than maxBodyBytes (${mirror.maxBodyBytes})`
        : `${mirror.percent} % of such requests are copied to an origin of ${mirror.pool}, after the real request`;
  return { pool: mirror.pool, share, reason };
}
