/**
 * The shapes the Notifier exchanges over RPC: events handed to it by the objects that own the
 * transitions (each PoolState, the ConfigStore), and what it answers about deliveries.
 */

/** One event, as posted to receivers (format `json`). `at` is ISO 8601. */
export interface NotifierEvent {
  /** Stable: every delivery of the same event carries the same id, so receivers can deduplicate. */
  id: string;
  type: string;
  at: string;
  loadBalancer?: string;
  pool?: string;
  origin?: string;
  message: string;
}

/** One delivery attempt, as `GET /notifications/{id}/deliveries` lists it. */
export interface DeliveryAttempt {
  eventId: string;
  type: string;
  /** When the attempt was made, ISO 8601. */
  at: string;
  attempt: number;
  /** The receiver's HTTP status; null when no answer came. */
  status: number | null;
  /** Why the attempt failed (connection error, timeout, non-2xx); null on success. */
  error: string | null;
  /** delivered, retrying (another attempt is scheduled), or failed (given up after 24 h). */
  outcome: "delivered" | "retrying" | "failed";
}

/** An event still waiting for a successful delivery to one notification. */
export interface PendingDelivery {
  eventId: string;
  type: string;
  attempts: number;
  nextAttemptAt: string;
}
