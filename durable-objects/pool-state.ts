import { DurableObject } from "cloudflare:workers";
import type { Pool } from "../worker/config/schema.ts";
import type { Env } from "../worker/env.ts";

/** One per pool (named by pool id): active probes, passive ejections, in-flight sums, events. */
export class PoolState extends DurableObject<Env> {
  /** Called by the ConfigStore after every committed change of this pool; null when it was deleted. */
  async configure(_pool: Pool | null): Promise<void> {}

  /** Health transitions, ejections and failovers of this pool, newest first. */
  async events(_limit: number): Promise<{ at: number; kind: string; subject: string; message: string }[]> {
    return [];
  }
}
