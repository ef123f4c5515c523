/**
 * The rule of the per-location tier, pure (the Worker's I/O is in location-tier.ts; the scale
 * simulation runs this same rule). The isolates of one location share what they read from the
 * Durable Objects through the location's cache: an isolate whose read is due first looks there,
 * takes what another isolate of the location put there since its own last read, and calls the
 * Durable Object only when the location's copy is as old as its own traffic allows and no other
 * isolate of the location has claimed the call. So a location makes about one call per read
 * interval of its busiest isolate, however many isolates it runs.
 */

/** How long a claim on the next call holds off the other isolates of the location. */
export const CLAIM_MS = 5000;
/** After finding the call claimed by another isolate, how long before looking again. */
export const CLAIMED_RETRY_MS = 250;

/** What the location's cache held when an isolate looked. */
export interface LocationLook {
  /** When the shared copy was fetched from its Durable Object (the fetching isolate's clock); null: none. */
  readonly fetchedAt: number | null;
  /** Until when another isolate claimed the next call; null: no claim. */
  readonly claimedUntil: number | null;
}

export interface LookDecision {
  /** Take the shared copy: it is newer than what this isolate heard itself. */
  readonly adopt: boolean;
  /** Call the Durable Object (and share the answer). */
  readonly call: boolean;
  /** Another isolate is calling: look again after `CLAIMED_RETRY_MS`. */
  readonly claimed: boolean;
}

/**
 * What an isolate does with its due read after looking at the location's cache.
 * @param heardAt when this isolate last heard (itself or through the cache)
 * @param intervalMs the read interval this isolate's traffic earns
 * @example decideLook(0, { fetchedAt: now - 100, claimedUntil: null }, 1250, now) // adopt, no call
 */
export function decideLook(
  heardAt: number,
  look: LocationLook,
  intervalMs: number,
  now: number,
): LookDecision {
  const adopt = look.fetchedAt !== null && look.fetchedAt > heardAt;
  const freshest = adopt ? (look.fetchedAt as number) : heardAt;
  if (now - freshest < intervalMs) return { adopt, call: false, claimed: false };
  if (look.claimedUntil !== null && look.claimedUntil > now) return { adopt, call: false, claimed: true };
  return { adopt, call: true, claimed: false };
}
