/**
 * Response shapes of the endpoints the API document lists beyond the configuration API (pool
 * health, drain, status, explain), as API.md fixes them. Each is declared once, in the module that
 * builds it, and only gathered here. Pure.
 */
import { z } from "zod";
import { OriginHealthSchema } from "../../health/types.ts";

export { PoolHealthSchema } from "../../health/types.ts";

export const StatusSchema = z
  .object({ items: z.array(z.record(z.string(), z.unknown())) })
  .catchall(z.unknown())
  .meta({ description: "Every load balancer with the pool it currently serves from and why." });

export { ExplainSchema } from "../explain/schema.ts";

export const DrainResultSchema = OriginHealthSchema.extend({
  pool: z.string(),
  origin: z.string(),
  weight: z.number().meta({ description: "The weight now configured." }),
  drained: z.boolean().meta({ description: "Drained through the API and not yet undrained." }),
  restoreWeight: z
    .number()
    .nullable()
    .meta({ description: "The weight undrain restores (drain) or restored (undrain)." }),
  changed: z
    .boolean()
    .meta({ description: "False when the origin already was in the requested state (nothing was written)." }),
}).meta({
  description: "The origin's new state (draining until its in-flight count reaches 0, or restored).",
});

/** What drain and undrain answer. */
export type DrainResult = z.output<typeof DrainResultSchema>;
