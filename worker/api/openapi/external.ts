/**
 * Response shapes of the endpoints the API document lists beyond the configuration API (pool
 * health, drain, status, overview, explain), as API.md fixes them. Each is declared once, in the module that
 * owns it, and only gathered here. Pure.
 */
import { z } from "zod";

export { type DrainResult, DrainResultSchema, PoolHealthSchema } from "../../health/types.ts";

export const StatusSchema = z
  .object({ items: z.array(z.record(z.string(), z.unknown())) })
  .catchall(z.unknown())
  .meta({ description: "Every load balancer with the pool it currently serves from and why." });

export { ExplainSchema } from "../explain/schema.ts";
export { OverviewSchema } from "../overview.ts";
