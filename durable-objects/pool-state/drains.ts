/**
 * The PoolState's part in drains that keep sessions: it stamps the snapshot with when the drain of
 * each drained origin began (kept with the weight undrain restores), so every edge can tell how long
 * pinned clients may still reach it (worker/health/drain.ts).
 */
import type { Pool } from "../../worker/config/schema.ts";
import type { PoolSnapshot } from "../../worker/health/types.ts";
import type { PoolStateStore } from "./store.ts";

/**
 * Sets `drainedAt` on the snapshot entries of origins drained through the API (weight 0 now).
 * @example stampDrains(store, pool, snapshot)
 */
export function stampDrains(store: PoolStateStore, pool: Pool, snapshot: PoolSnapshot): void {
  // Most pools have no drained origin: no storage read then.
  if (!pool.origins.some((origin) => origin.weight <= 0)) return;
  const starts = store.drainStarts();
  for (const origin of pool.origins) {
    const since = starts.get(origin.name);
    const entry = snapshot.origins[origin.name];
    if (origin.weight <= 0 && since !== undefined && entry) entry.drainedAt = since;
  }
}
