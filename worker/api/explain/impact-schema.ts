/**
 * The shapes of `POST /explain` (a candidate configuration against a list of requests), as zod
 * schemas: the types ./compare.ts builds come from here, and so do the OpenAPI schemas. Pure.
 */
import { z } from "zod";
import { ConfigDocumentSchema } from "../../config/schema.ts";
import { Decided } from "./schema.ts";

export const ImpactRequestSchema = z
  .object({
    url: z.string().meta({ description: "The absolute http or https URL of the request." }),
    method: z.string().optional().meta({ description: "The request method; GET when absent." }),
    headers: z
      .record(z.string(), z.string())
      .optional()
      .meta({ description: "Request headers it carries (cookies, hash keys, rule headers)." }),
    ip: z.string().optional().meta({ description: "The client address, for ip hashing and ip affinity." }),
    country: z.string().optional().meta({
      description:
        "ISO 3166-1 alpha-2 country of the client; its continent follows unless continent is given.",
    }),
    continent: z
      .string()
      .optional()
      .meta({ description: "Continent code of the client, e.g. EU; by default the country's." }),
  })
  .meta({ description: "One request, described as for GET /explain." });

export const ImpactBodySchema = z
  .object({
    config: ConfigDocumentSchema.optional().meta({
      description: "The candidate configuration (as for PUT /config); the live one when absent.",
    }),
    requests: z.array(ImpactRequestSchema).min(1).max(1000).meta({ description: "At most 1,000 requests." }),
  })
  .meta({ description: "A candidate configuration and the requests to compare it on." });

export const PlacementSchema = z
  .object({
    outcome: z
      .string()
      .meta({ description: "proxied, no_load_balancer, no_origin, loop, management or rule." }),
    loadBalancer: z.string().nullable(),
    pool: z.string().nullable(),
    origin: z.string().nullable(),
    status: z.number().int().nullable().meta({
      description:
        "The status the proxy would answer itself with (404, 503, 508, a rule's); null when proxied.",
    }),
    affinity: z.string().nullable().meta({
      description:
        "The session-affinity outcome (pinned, new, reselected, temporary, unavailable); null without affinity.",
    }),
    decided: z
      .object({
        pool: Decided.nullable().meta({
          description: "fixed or draw, as GET /explain's pool.decided; null without a pool.",
        }),
        origin: Decided.nullable().meta({
          description: "fixed or draw, as GET /explain's origin.decided; null without an origin.",
        }),
      })
      .meta({
        description:
          "Whether every such request gets this pool and origin (fixed) or each request draws them (draw: pool and origin are one draw).",
      }),
  })
  .meta({ description: "Where a request goes under one configuration." });

const MovedSchema = z.object({
  count: z.number().int(),
  share: z.number().meta({ description: "Fraction of the described requests, 0 to 1, to 3 decimals." }),
});

export const ComparedRequestSchema = z.object({
  request: z.object({ url: z.string(), method: z.string() }),
  now: PlacementSchema,
  candidate: PlacementSchema,
  changed: z.object({ loadBalancer: z.boolean(), pool: z.boolean(), origin: z.boolean() }),
  breaksAffinity: z
    .boolean()
    .meta({ description: "Pinned to an origin now, and the candidate would send it elsewhere." }),
});

export const ImpactSummarySchema = z.object({
  requests: z.number().int(),
  changed: z.object({ loadBalancer: MovedSchema, pool: MovedSchema, origin: MovedSchema }),
  drawn: z
    .object({
      pool: MovedSchema.meta({
        description:
          "Requests counted in changed.pool whose pool is a draw both now and under the candidate.",
      }),
      origin: MovedSchema.meta({
        description:
          "Requests counted in changed.origin because of a drawn pool (as in drawn.pool) or, in the same pool, an origin that is a draw both now and under the candidate.",
      }),
    })
    .meta({
      description:
        "The part of changed that is a draw on both sides: the share of such traffic the candidate moves, not a fixed destination that moves. changed minus drawn is what moves for certain.",
    }),
  affinityPinsBroken: z.number().int(),
});

export const ImpactSchema = z
  .object({
    configVersion: z.number().int().meta({ description: "The live configuration version compared against." }),
    items: z.array(ComparedRequestSchema),
    summary: ImpactSummarySchema,
  })
  .meta({
    description:
      "Each request now and under the candidate, and the share that would change load balancer, pool or origin. A random choice gets the same random number in both runs.",
  });

export type Placement = z.output<typeof PlacementSchema>;
export type ComparedRequest = z.output<typeof ComparedRequestSchema>;
export type ImpactSummary = z.output<typeof ImpactSummarySchema>;
export type Impact = z.output<typeof ImpactSchema>;
export type Moved = z.output<typeof MovedSchema>;
