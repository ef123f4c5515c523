/**
 * zod schemas of what the management API answers, beyond the resources themselves. They give the
 * RPC result types their shape and the OpenAPI document its response schemas. Pure.
 */
import { z } from "zod";
import { ConfigDocumentSchema, LoadBalancerSchema, PoolSchema } from "../../config/schema.ts";

export const FieldErrorSchema = z
  .object({
    path: z
      .string()
      .meta({ description: 'Where the problem is, e.g. "origins[1].weight"; "" is the whole body.' }),
    message: z.string(),
  })
  .meta({ description: "One invalid field." });

export const ProblemSchema = z
  .object({
    type: z.string().meta({ description: 'A URI naming the kind of problem, or "about:blank".' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().meta({ description: "What went wrong and what to do about it." }),
    errors: z.array(FieldErrorSchema).optional().meta({ description: "Present on validation failures." }),
  })
  .catchall(z.unknown())
  .meta({ description: "RFC 9457 problem details (application/problem+json)." });

const Ids = z.array(z.string());
export const KindChangesSchema = z.object({ created: Ids, updated: Ids, deleted: Ids });

export const ConfigReplaceResultSchema = z
  .object({
    version: z.number().int().meta({ description: "The configuration version after the request." }),
    dryRun: z.boolean(),
    changes: z.object({ pools: KindChangesSchema, loadBalancers: KindChangesSchema }),
  })
  .meta({
    description:
      "What PUT /config changed (or, with dryRun=true, would change). Unchanged ids are not listed.",
  });

export { AuditEntrySchema } from "../../../durable-objects/config-store/types.ts";

export const EventSchema = z.object({
  timestamp: z.string().meta({ description: "When it happened, ISO 8601." }),
  at: z.string().meta({ description: "The same as timestamp (kept for existing clients)." }),
  kind: z.string().meta({ description: "e.g. config_change, origin_up, origin_down, ejection, failover." }),
  subject: z.string().meta({ description: 'What it is about, e.g. "pool/web-eu".' }),
  message: z.string(),
});

export const EventListSchema = z.object({
  items: z.array(EventSchema),
  unavailablePools: z
    .array(z.string())
    .optional()
    .meta({ description: "Pools whose events could not be read this time (left out of items)." }),
});

export const HealthzSchema = z.object({
  status: z.literal("ok"),
  configVersion: z.number().int(),
  isolate: z.object({ doCalls: z.number().int(), proxiedRequests: z.number().int() }).meta({
    description: "Durable Object calls and proxied requests of the isolate that answered, since it started.",
  }),
});

/** A stored resource: the input form with defaults filled in, plus the server-owned version. */
export const PoolResourceSchema = PoolSchema.and(z.object({ version: z.number().int().positive() }));
export const LoadBalancerResourceSchema = LoadBalancerSchema.and(
  z.object({ version: z.number().int().positive() }),
);
export const ConfigResponseSchema = ConfigDocumentSchema.and(
  z.object({ version: z.number().int().nonnegative() }),
);
