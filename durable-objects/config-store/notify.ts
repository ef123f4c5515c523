/**
 * Delivery of committed pool changes to each pool's PoolState DO. A change is queued in the same
 * transaction that commits it, so a failed or interrupted delivery never loses it: the ConfigStore
 * alarm retries with backoff. Delivery sends the pool as stored now (or null once deleted), so
 * repeating it is harmless.
 */
import type { Pool } from "../../worker/config/schema.ts";
import { withTimeout } from "../../worker/http/timeout.ts";
import type { ConfigTables } from "./sql.ts";

/** How long one PoolState may take to accept a change before it counts as failed. */
export const DELIVERY_TIMEOUT_MS = 5000;
/** Deliveries in flight at once. */
const BATCH = 10;
const MAX_BACKOFF_MS = 5 * 60_000;

export interface PoolStateTarget {
  configure(pool: Pool | null): Promise<void>;
}

export interface Delivery {
  tables: ConfigTables;
  poolState: (poolId: string) => PoolStateTarget;
  now: () => number;
}

/**
 * Delivers the pending notifications that are due (only those of `poolIds` when given) and returns
 * when the next remaining one is due, or null when none is left.
 */
export async function deliverNotifications(d: Delivery, poolIds?: readonly string[]): Promise<number | null> {
  const wanted = poolIds ? new Set(poolIds) : null;
  const due = d.tables.pendingNotifications(d.now()).filter((n) => !wanted || wanted.has(n.poolId));
  for (let start = 0; start < due.length; start += BATCH) {
    const batch = due.slice(start, start + BATCH);
    await Promise.all(
      batch.map(async (notification) => {
        const pool = d.tables.get("pool", notification.poolId);
        try {
          await withTimeout(d.poolState(notification.poolId).configure(pool), DELIVERY_TIMEOUT_MS);
          d.tables.completeNotification(notification.poolId, notification.configVersion);
        } catch (error) {
          const retryAt = d.now() + backoffMs(notification.attempts + 1);
          d.tables.failNotification(notification.poolId, notification.configVersion, retryAt, String(error));
          console.log(
            JSON.stringify({
              event: "pool_notification_failed",
              pool: notification.poolId,
              configVersion: notification.configVersion,
              attempts: notification.attempts + 1,
              error: String(error),
            }),
          );
        }
      }),
    );
  }
  return d.tables.nextNotificationAt();
}

/** 1 s, 2 s, 4 s … capped at five minutes. */
export function backoffMs(attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempt - 1, 20));
}
