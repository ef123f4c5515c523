/** Pools and records for the health rule tests. */
import { type Pool, type PoolInput, PoolSchema } from "../../../worker/config/schema.ts";
import { newRecord } from "../../../worker/health/record.ts";
import type { OriginRecord } from "../../../worker/health/types.ts";

/** A validated pool with defaults, like the ConfigStore hands to the PoolState DO. */
export function makePool(input: Partial<PoolInput> & { origins?: PoolInput["origins"] } = {}): Pool {
  const parsed = PoolSchema.parse({
    id: "web",
    origins: [
      { name: "a", address: "http://127.0.0.1:9001" },
      { name: "b", address: "http://127.0.0.1:9002" },
    ],
    ...input,
  });
  return { ...parsed, version: parsed.version ?? 1 };
}

/** Fresh records for every origin of a pool, as the DO creates them. */
export function recordsFor(pool: Pool, now: number): Map<string, OriginRecord> {
  return new Map(pool.origins.map((o) => [o.name, newRecord(o.name, o.address, now)]));
}
