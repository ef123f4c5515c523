/**
 * Slow start: an origin that enters service (added, recovered, back from ejection) receives a
 * growing share of its weight, linearly from 10% to 100% over `slowStartSeconds`. Pure.
 */
import type { OriginSnapshot } from "./types.ts";

export const SLOW_START_INITIAL_FACTOR = 0.1;

/**
 * Factor in [0.1, 1] to multiply an origin's weight by; 1 when slow start is off or over.
 * @example slowStartFactor(0, 60, 30_000) === 0.55
 */
export function slowStartFactor(since: number | null, slowStartSeconds: number, now: number): number {
  if (since === null || slowStartSeconds <= 0) return 1;
  const elapsed = now - since;
  const duration = slowStartSeconds * 1000;
  if (elapsed >= duration) return 1;
  if (elapsed <= 0) return SLOW_START_INITIAL_FACTOR;
  return SLOW_START_INITIAL_FACTOR + (1 - SLOW_START_INITIAL_FACTOR) * (elapsed / duration);
}

/**
 * When the origin's current in-service period began, as seen from a snapshot that may be up to a
 * second old: an ejection that has ended since counts as the start.
 */
export function inServiceSince(
  origin: Pick<OriginSnapshot, "healthySince" | "ejectedUntil">,
  now: number,
): number | null {
  if (origin.ejectedUntil !== null && origin.ejectedUntil <= now) return origin.ejectedUntil;
  return origin.healthySince;
}

/**
 * The weight a balancer should use now. An origin the snapshot does not know yet keeps its weight.
 * @example effectiveWeight(10, snapshot.origins["eu-1"], pool.slowStartSeconds, Date.now())
 */
export function effectiveWeight(
  weight: number,
  origin: Pick<OriginSnapshot, "healthySince" | "ejectedUntil"> | undefined,
  slowStartSeconds: number,
  now: number,
): number {
  if (!origin) return weight;
  return weight * slowStartFactor(inServiceSince(origin, now), slowStartSeconds, now);
}
