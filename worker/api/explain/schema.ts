/**
 * The shape of `GET /explain`'s answer, as zod schemas: the types the endpoint builds come from
 * here, and so does its schema in the OpenAPI document. Pure.
 */
import { z } from "zod";
import { KEY_ORIGINS } from "../../affinity/request-key.ts";
import { AFFINITY_OUTCOMES } from "../../affinity/resolve.ts";
import { ORIGIN_VERDICTS } from "../../health/edge-view.ts";
import { ORIGIN_STATES } from "../../health/types.ts";
import { POOL_VERDICTS, POOL_VIA } from "../../routing/choose-pool.ts";
import { ShareSchema } from "../../routing/explain.ts";
import { ProblemSchema } from "../openapi/response-schemas.ts";
import { MirrorStepSchema, RuleActionSchema, RuleStepSchema, SplitStepSchema } from "./traffic.ts";

export const Decided = z.enum(["fixed", "draw"]).meta({
  description:
    "fixed: every such request gets this outcome now; draw: drawn at random per request, this is one draw and shares gives each outcome's part.",
});

export const PoolStepSchema = z.object({
  id: z.string(),
  verdict: z.enum(POOL_VERDICTS),
  reason: z.string(),
  enabled: z.boolean().optional(),
  healthy: z
    .boolean()
    .optional()
    .meta({ description: "Enabled and at least minimumOrigins healthy origins." }),
  healthyOrigins: z.number().int().optional(),
  minimumOrigins: z.number().int().optional(),
  origins: z.number().int().optional(),
  usableOrigins: z.number().int().optional(),
  healthAgeMs: z
    .number()
    .nullable()
    .optional()
    .meta({ description: "Age of this edge's copy of the pool's health; null when it has none yet." }),
});

export const OriginEntrySchema = z.object({
  name: z.string(),
  address: z.string(),
  backup: z.boolean(),
  weight: z.number().meta({ description: "Configured weight." }),
  candidate: z.boolean().meta({ description: "Whether the pool's algorithm chooses among this origin." }),
  verdict: z.enum(ORIGIN_VERDICTS).meta({ description: "The edge's verdict: usable, or why not." }),
  state: z
    .enum(ORIGIN_STATES)
    .nullable()
    .meta({ description: "State the PoolState reported; null when this edge has no report yet." }),
  effectiveWeight: z.number().nullable().meta({ description: "Weight after slow start (candidates)." }),
  inflight: z.number().nullable().meta({ description: "Requests in flight across edges (candidates)." }),
  latencyMs: z.number().nullable().meta({ description: "Moving average response time (candidates)." }),
  regions: z.string().optional().meta({
    description:
      'With healthCheck.regions: how the regions judge the origin, e.g. "unhealthy by 2 of 3 regions" (the verdict is their majority).',
  }),
  note: z.string().optional(),
});

const Outcome = z.enum(AFFINITY_OUTCOMES).nullable();

export const AffinityStepSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("none"), reason: z.string() }),
  z.object({
    type: z.literal("cookie"),
    cookieName: z.string(),
    cookie: z.enum(["absent", "valid", "invalid"]),
    pinned: z.object({ pool: z.string(), origin: z.string(), expiresAt: z.string() }).nullable(),
    outcome: Outcome,
    setsCookie: z
      .boolean()
      .meta({ description: "Whether the response would set the cookie (if the origin answers below 500)." }),
    reason: z.string(),
  }),
  z.object({
    type: z.enum(["header", "ip"]),
    key: z
      .object({
        on: z.string(),
        from: z.enum(KEY_ORIGINS),
        value: z.string(),
      })
      .nullable(),
    home: z.string().nullable().meta({ description: "The key's home origin when every origin is up." }),
    outcome: Outcome,
    reason: z.string(),
  }),
]);

export const ProxyAnswerSchema = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()).optional(),
  problem: ProblemSchema.optional().meta({ description: "The problem JSON body of a 404, 503 or 508." }),
  body: z.string().optional().meta({ description: "The body of a respond rule's answer." }),
});

export const ExplainSchema = z
  .object({
    request: z.object({
      url: z.string(),
      hostname: z.string(),
      path: z.string(),
      ip: z.string().nullable(),
      headers: z.record(z.string(), z.string()),
      country: z.string().nullable(),
      continent: z.string().nullable(),
    }),
    outcome: z.enum(["proxied", "no_load_balancer", "no_origin", "loop", "management", "rule"]).meta({
      description:
        "proxied, or why the proxy would answer itself (see wouldRespond); rule: a respond or redirect rule answers.",
    }),
    configVersion: z.number().int(),
    loadBalancer: z
      .object({
        id: z.string(),
        hostname: z.string(),
        pathPrefix: z.string(),
        steering: z.string(),
        reason: z.string(),
      })
      .nullable(),
    reason: z.string().optional().meta({ description: "Why no load balancer serves the request." }),
    rules: z
      .array(RuleStepSchema)
      .optional()
      .meta({ description: "The load balancer's rules up to the one that matched (absent without rules)." }),
    rule: RuleActionSchema.nullable().optional(),
    split: SplitStepSchema.nullable().optional(),
    mirror: MirrorStepSchema.nullable().optional(),
    pools: z.array(PoolStepSchema).meta({ description: "Every pool the decision looked at, in order." }),
    pool: z
      .object({
        id: z.string(),
        via: z.enum(POOL_VIA),
        algorithm: z.string(),
        hashOn: z.string().optional(),
        steering: z.string(),
        reason: z.string(),
        decided: Decided,
        shares: z.array(ShareSchema).optional(),
      })
      .nullable(),
    affinity: AffinityStepSchema.nullable(),
    origins: z
      .array(OriginEntrySchema)
      .meta({ description: "Every origin of the serving pool, in pool order." }),
    origin: z
      .object({
        name: z.string(),
        address: z.string(),
        decided: Decided,
        reason: z.string(),
        shares: z.array(ShareSchema).optional(),
      })
      .nullable()
      .meta({ description: "The origin of the first attempt; null when the proxy would answer itself." }),
    wouldRespond: ProxyAnswerSchema.optional().meta({
      description:
        "The answer the proxy would give itself instead of forwarding (404, 503, 508, or a respond or redirect rule's).",
    }),
  })
  .meta({
    description:
      "Which load balancer, pool and origin a request like the one described would reach now, with the reason at each step.",
  });

export type Explanation = z.output<typeof ExplainSchema>;
export type PoolExplanation = z.output<typeof PoolStepSchema>;
export type OriginExplanation = z.output<typeof OriginEntrySchema>;
export type AffinityExplanation = z.output<typeof AffinityStepSchema>;
export type ProxyAnswer = z.output<typeof ProxyAnswerSchema>;
