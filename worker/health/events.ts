/** Building health events: one place for their subjects and shapes. Pure. */
import type { HealthEvent, HealthEventKind } from "./types.ts";

/** An event about one origin of a pool; its subject is `pool/origin`. */
export function originEvent(
  pool: string,
  origin: string,
  kind: HealthEventKind,
  at: number,
  message: string,
): HealthEvent {
  return { at, kind, subject: `${pool}/${origin}`, message, pool, origin };
}

/** An event about a whole pool; its subject is the pool id. */
export function poolEvent(pool: string, kind: HealthEventKind, at: number, message: string): HealthEvent {
  return { at, kind, subject: pool, message, pool, origin: null };
}
