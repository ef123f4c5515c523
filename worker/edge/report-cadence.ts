/**
 * When an isolate's report to a pool carries news worth a Durable Object call. Pure (the clock is
 * passed in), shared by the Worker (reports.ts) and the scale simulation.
 *
 * - Failures and recoveries go at once: an origin ejected here, or back after an ejection here
 *   (`URGENT_GAP_MS` apart at most, so an origin flapping cannot turn traffic into calls).
 * - In-flight figures only for pools that use them (least_connections, least_request,
 *   least_connections steering, maxConnections), as a time average (`InflightAverage`), when the
 *   average moved out of a dead band around the last figure sent (`INFLIGHT_MIN_GAP_MS` apart at
 *   most), and every `INFLIGHT_HEARTBEAT_MS` while the last figure sent is not zero, so the PoolState
 *   keeps counting it (it drops figures older than `INFLIGHT_STALE_MS`).
 * - Counters (requests, failures, latencies, request metrics) on a slow clock, `COUNTERS_INTERVAL_MS`,
 *   unless a read or other news carries them sooner.
 */

/** Shortest time between two urgent reports of one pool from one isolate. */
export const URGENT_GAP_MS = 100;
/** Time constant of the in-flight average. */
export const INFLIGHT_TAU_MS = 2000;
/** Shortest time between two reports sent because the in-flight average moved. */
export const INFLIGHT_MIN_GAP_MS = 2000;
/** Longest time counters wait for a ride before they are sent on their own. */
export const COUNTERS_INTERVAL_MS = 30_000;
/**
 * Longest silence while the last in-flight figure sent is not zero: the counters' clock, so that
 * both go in one call.
 */
export const INFLIGHT_HEARTBEAT_MS = COUNTERS_INTERVAL_MS;
/**
 * Dead band of the in-flight average: a change below max(absolute, relative × last) is not news.
 * Wide enough that the noise of a steady load stays inside it, and below one: the average of a
 * count that steps from 0 to 1 only approaches 1, so a band of one request would never report a
 * single long download or WebSocket (it crosses half a request after 1.4 s).
 */
export const INFLIGHT_BAND_ABSOLUTE = 0.5;
export const INFLIGHT_BAND_RELATIVE = 0.15;

/**
 * The time average of a count that changes in steps (requests in flight to one origin): an
 * exponentially weighted mean with time constant `INFLIGHT_TAU_MS`, updated exactly at each step.
 */
export class InflightAverage {
  #mean = 0;
  #count = 0;
  #at = 0;

  /** The count changes to `count` at `now`. */
  set(count: number, now: number): void {
    this.#mean = this.value(now);
    this.#count = count;
    this.#at = now;
  }

  /** The average at `now`. */
  value(now: number): number {
    const dt = now - this.#at;
    if (dt <= 0) return this.#mean;
    return this.#count + (this.#mean - this.#count) * Math.exp(-dt / INFLIGHT_TAU_MS);
  }

  /** The count right now. */
  get count(): number {
    return this.#count;
  }
}

/** Whether an in-flight average moved out of the dead band around the figure last sent. */
export function outOfBand(average: number, sent: number): boolean {
  return Math.abs(average - sent) >= Math.max(INFLIGHT_BAND_ABSOLUTE, INFLIGHT_BAND_RELATIVE * sent);
}

/** What a pool's report has to say, as the due rule needs it. */
export interface ReportNews {
  /** An origin ejected here, or back after an ejection here, since the last report. */
  readonly urgent: boolean;
  /** Completed requests or request metrics not yet sent. */
  readonly counters: boolean;
  /** Whether the pool uses in-flight figures at all. */
  readonly usesInflight: boolean;
  /** Some origin's in-flight average left the dead band around the figure last sent. */
  readonly inflightMoved: boolean;
  /** Some figure last sent is not zero. */
  readonly inflightHeld: boolean;
}

/**
 * When the report with `news` is due, counting from the last report sent at `lastSentAt` (maybe in
 * the past: due now); null when there is nothing to tell.
 * @example reportDueAt({ urgent: true, ... }, last) === last + URGENT_GAP_MS
 */
export function reportDueAt(news: ReportNews, lastSentAt: number): number | null {
  let due: number | null = null;
  const at = (candidate: number) => {
    if (due === null || candidate < due) due = candidate;
  };
  if (news.urgent) at(lastSentAt + URGENT_GAP_MS);
  if (news.usesInflight && news.inflightMoved) at(lastSentAt + INFLIGHT_MIN_GAP_MS);
  if (news.usesInflight && news.inflightHeld) at(lastSentAt + INFLIGHT_HEARTBEAT_MS);
  if (news.counters) at(lastSentAt + COUNTERS_INTERVAL_MS);
  return due;
}
