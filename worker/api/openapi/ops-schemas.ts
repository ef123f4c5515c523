/**
 * Response shapes of configuration history and notifications for the OpenAPI document. Pure.
 */
import { z } from "zod";
import { NotificationSchema } from "../../config/notification.ts";
import { KindChangesSchema } from "./response-schemas.ts";

export const ConfigVersionListSchema = z
  .object({
    items: z.array(
      z.object({
        version: z.number().int().meta({ description: "The global configuration version." }),
        at: z.string().meta({ description: "When it was committed, ISO 8601." }),
        role: z.string().meta({ description: 'The role of the token that made the change, e.g. "admin".' }),
        summary: z.string().meta({ description: "What changed, per resource; a rollback names its target." }),
      }),
    ),
  })
  .meta({ description: "The kept configuration versions (at least the last 100), newest first." });

export const RollbackResultSchema = z
  .object({
    version: z.number().int().meta({ description: "The configuration version after the request." }),
    dryRun: z.boolean(),
    rolledBackTo: z
      .number()
      .int()
      .meta({ description: "The version whose document is now (or would be) current." }),
    changes: z.object({ pools: KindChangesSchema, loadBalancers: KindChangesSchema }),
  })
  .meta({ description: "What the rollback changed (or, with dryRun=true, would change)." });

export const NotificationResourceSchema = NotificationSchema.and(
  z.object({ version: z.number().int().positive() }),
).meta({ description: 'A notification as stored; `secret` reads back as "<redacted>" (or null).' });

const AttemptSchema = z.object({
  eventId: z.string().meta({ description: "The event's stable id (also sent as X-Edge-LB-Event-Id)." }),
  type: z.string(),
  at: z.string().meta({ description: "When the attempt was made, ISO 8601." }),
  attempt: z.number().int(),
  status: z
    .number()
    .int()
    .nullable()
    .meta({ description: "The receiver's status; null when it did not answer." }),
  error: z.string().nullable(),
  outcome: z.enum(["delivered", "retrying", "failed"]).meta({
    description: "failed: given up after 24 h of retries.",
  }),
});

export const DeliveryListSchema = z
  .object({
    items: z.array(AttemptSchema).meta({ description: "The last 100 attempts, newest first." }),
    pending: z
      .array(
        z.object({
          eventId: z.string(),
          type: z.string(),
          attempts: z.number().int(),
          nextAttemptAt: z.string(),
        }),
      )
      .meta({ description: "Events still waiting for a successful delivery." }),
  })
  .meta({ description: "Recent delivery attempts of a notification." });

export const NotificationTestResultSchema = z
  .object({
    eventId: z.string(),
    delivered: z.boolean(),
    status: z.number().int().nullable(),
    error: z.string().nullable(),
  })
  .meta({ description: "The receiver's answer to a test event (sent once, not retried)." });
