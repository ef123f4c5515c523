/**
 * The PoolState's part in drains that keep sessions: it stamps the snapshot with when the drain of
 * each drained origin began (kept with the weight undrain restores), so every edge can tell how long
 * pinned clients may still reach it (worker/health/drain.ts).
 */
import type { Pool } from "../../worker/config/schema.ts";
import type { PoolSnapshot } from "../../worker/health/types.ts";
import type { PoolStateStore } from "./store.ts";

/**
 * Sets `drainedAt` and `drainedWeight` on the snapshot entries of origins drained through the API (weight 0 now).
 * @example stampDrains(store, pool, snapshot)
 */
export function stampDrains(store: PoolStateStore, pool: Pool, snapshot: PoolSnapshot): void {
  // The configured weights: an edge that learns of a drain before the snapshot that tells it when
  // it began finds the weight before the drain here.
  for (const origin of pool.origins) {
    const entry = snapshot.origins[origin.name];
    if (entry) entry.weight = origin.weight;
  }
  // Most pools have no drained origin: no storage read then.
  if (!pool.origins.some((origin) => origin.weight <= 0)) return;
  const starts = store.drainStarts();
  for (const origin of pool.origins) {
    const drain = starts.get(origin.name);
    const entry = snapshot.origins[origin.name];
    if (origin.weight > 0 || drain === undefined || !entry) continue;
    entry.drainedAt = drain.since;
    entry.drainedWeight = drain.weight;
  }
}
