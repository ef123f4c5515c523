/**
 * Response shapes of the endpoints the API document lists beyond the configuration API (pool
 * health, drain, status, explain), as API.md fixes them. Pure.
 */
import { z } from "zod";

const ORIGIN_STATES = ["healthy", "unhealthy", "unknown", "ejected", "draining", "disabled"] as const;

export const PoolHealthSchema = z
  .object({
    pool: z.string(),
    healthy: z.boolean(),
    healthyOrigins: z.number().int(),
    origins: z.array(
      z
        .object({
          name: z.string(),
          state: z.enum(ORIGIN_STATES),
          healthy: z.boolean(),
          lastCheckAt: z.string().nullable().meta({ description: "ISO 8601, null before the first check." }),
          lastError: z.string().nullable(),
          latencyMs: z.number().nullable(),
          consecutiveFailures: z.number().int(),
          inflight: z.number().int(),
          ejectedUntil: z.string().nullable().meta({ description: "ISO 8601 while ejected, else null." }),
        })
        .catchall(z.unknown()),
    ),
  })
  .catchall(z.unknown())
  .meta({ description: "Health of a pool and of each of its origins, as its PoolState sees it now." });

export const StatusSchema = z
  .object({ items: z.array(z.record(z.string(), z.unknown())) })
  .catchall(z.unknown())
  .meta({ description: "Every load balancer with the pool it currently serves from and why." });

export { ExplainSchema } from "../explain/schema.ts";

export const DrainResultSchema = z.record(z.string(), z.unknown()).meta({
  description: "The origin's new state (draining until its in-flight count reaches 0, or restored).",
});
