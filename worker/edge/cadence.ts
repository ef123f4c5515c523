/**
 * When an isolate (or a location) calls a Durable Object: by the traffic the call serves and the news
 * it carries, not by the clock. Pure: no runtime, no module state, so the Worker and the scale
 * simulation (test/unit/edge/scale-simulation.test.ts) run the same code.
 *
 * - A read (configuration or pool snapshot) is worth one DO call per some tens of requests it serves:
 *   its interval shrinks as traffic grows, down to a floor for busy traffic (`CALL_FLOOR_MS` at
 *   `BUSY_RATE` requests per second and above), and grows as traffic thins, up to `CALL_CEILING_MS`.
 * - A failed call backs off (250 ms doubling to 30 s, jittered): a Durable Object that fails or
 *   stalls sees a bounded call rate, not one that grows with traffic.
 */

/** Requests per second from which a read is due every `CALL_FLOOR_MS` (the freshness of busy edges). */
export const BUSY_RATE = 20;
/** Shortest interval between two reads of one thing, for busy traffic. */
export const CALL_FLOOR_MS = 1250;
/** Longest interval between two reads while traffic lasts, however thin. */
export const CALL_CEILING_MS = 30_000;
/** Window of the request-rate estimate. */
export const RATE_WINDOW_MS = 5000;
/** First backoff after a failed call; it doubles per failure in a row. */
export const BACKOFF_BASE_MS = 250;
/** Longest backoff after failed calls. */
export const MAX_BACKOFF_MS = 30_000;

/**
 * The interval between two reads for traffic of `rate` requests per second: `floorMs` at
 * `BUSY_RATE` and above; below, growing with the square of the gap (5 s at 10 req/s, 20 s at 5) up to
 * `CALL_CEILING_MS`, so that a read serves more requests the thinner the traffic is.
 * @example callIntervalMs(100) === 1250; callIntervalMs(10) === 5000; callIntervalMs(2) === 30_000
 */
export function callIntervalMs(rate: number, floorMs = CALL_FLOOR_MS): number {
  if (!(rate > 0)) return CALL_CEILING_MS;
  if (rate >= BUSY_RATE) return floorMs;
  return Math.min(CALL_CEILING_MS, floorMs * (BUSY_RATE / rate) ** 2);
}

/**
 * The backoff before the next call after `failures` failed calls in a row: half fixed, half random.
 * @example backoffMs(1, () => 0.5) === 375
 */
export function backoffMs(failures: number, random: () => number): number {
  const full = Math.min(MAX_BACKOFF_MS, BACKOFF_BASE_MS * 2 ** Math.min(Math.max(failures, 1), 20));
  return full / 2 + random() * (full / 2);
}

/**
 * Requests per second over a sliding window (`RATE_WINDOW_MS`): the count of the current window plus
 * the previous window's rate for the part of it still in the sliding window. Plain data.
 */
export class RateMeter {
  #start = Number.NEGATIVE_INFINITY;
  #count = 0;
  #previous = 0;

  /** Counts `n` requests at `now`. */
  note(n: number, now: number): void {
    this.#roll(now);
    this.#count += n;
  }

  /** Requests per second around `now`. */
  rate(now: number): number {
    this.#roll(now);
    const elapsed = now - this.#start;
    const carried = (this.#previous * Math.max(0, RATE_WINDOW_MS - elapsed)) / 1000;
    return (this.#count + carried) / (RATE_WINDOW_MS / 1000);
  }

  #roll(now: number): void {
    const elapsed = now - this.#start;
    if (elapsed < RATE_WINDOW_MS) return;
    if (elapsed < 2 * RATE_WINDOW_MS) {
      this.#previous = this.#count / (RATE_WINDOW_MS / 1000);
      this.#start += RATE_WINDOW_MS;
    } else {
      this.#previous = 0;
      this.#start = now;
    }
    this.#count = 0;
  }
}

/**
 * One thing an isolate reads from a Durable Object (the configuration, a pool's snapshot): when it
 * last heard, whether a read is running, and the backoff after failures. The clock is passed in.
 */
export class ReadCadence {
  readonly meter = new RateMeter();
  /** When the last read answered (0: never). */
  heardAt = 0;
  /** When the running read started; null when none runs. */
  loadingSince: number | null = null;
  failures = 0;
  retryAt = 0;
  readonly #floorMs: number;
  readonly #random: () => number;

  constructor(floorMs = CALL_FLOOR_MS, random: () => number = Math.random) {
    this.#floorMs = floorMs;
    this.#random = random;
  }

  /** Whether a read may start now: none runs (or the running one is lost) and no backoff holds it. */
  mayStart(now: number): boolean {
    if (this.loadingSince !== null && now - this.loadingSince < LOST_CALL_MS) return false;
    return now >= this.retryAt;
  }

  /** The interval this traffic earns between reads. */
  intervalMs(now: number): number {
    return callIntervalMs(this.meter.rate(now), this.#floorMs);
  }

  /** Whether a read is due: what was heard is older than the traffic's interval, and one may start. */
  due(now: number): boolean {
    return this.mayStart(now) && now - this.heardAt >= this.intervalMs(now);
  }

  begin(now: number): void {
    this.loadingSince = now;
  }

  succeeded(now: number): void {
    this.loadingSince = null;
    this.heardAt = now;
    this.failures = 0;
    this.retryAt = 0;
  }

  failed(now: number): void {
    this.loadingSince = null;
    this.failures++;
    this.retryAt = now + backoffMs(this.failures, this.#random);
  }
}

/** A read or report still marked running after this long is taken as lost (its invocation ended). */
export const LOST_CALL_MS = 10_000;
