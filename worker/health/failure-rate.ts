/**
 * Outlier detection by failure rate (Envoy's failure-percentage ejection): the requests and failures
 * of one origin over the last `FAILURE_WINDOW_MS`, summed from every edge's reports, in one-second
 * buckets. Pure; the PoolState keeps one window per origin in memory (a restart starts it empty).
 */

/** The span the failure rate looks at. */
export const FAILURE_WINDOW_MS = 10_000;
const BUCKET_MS = 1000;
const BUCKETS = FAILURE_WINDOW_MS / BUCKET_MS;

export class FailureWindow {
  #start = new Array<number>(BUCKETS).fill(-1);
  #requests = new Array<number>(BUCKETS).fill(0);
  #failures = new Array<number>(BUCKETS).fill(0);

  /** Adds the requests and failures an edge reported at `now`. */
  add(now: number, requests: number, failures: number): void {
    const slot = Math.floor(now / BUCKET_MS);
    const index = slot % BUCKETS;
    if (this.#start[index] !== slot) {
      this.#start[index] = slot;
      this.#requests[index] = 0;
      this.#failures[index] = 0;
    }
    this.#requests[index] = (this.#requests[index] ?? 0) + requests;
    this.#failures[index] = (this.#failures[index] ?? 0) + failures;
  }

  /** Requests and failures of the last `FAILURE_WINDOW_MS` before `now`. */
  totals(now: number): { requests: number; failures: number } {
    const current = Math.floor(now / BUCKET_MS);
    let requests = 0;
    let failures = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const slot = this.#start[i] ?? -1;
      if (slot < 0 || current - slot >= BUCKETS || slot > current) continue;
      requests += this.#requests[i] ?? 0;
      failures += this.#failures[i] ?? 0;
    }
    return { requests, failures };
  }

  /** Forgets everything (the origin was ejected: it starts afresh when it returns). */
  clear(): void {
    this.#start.fill(-1);
  }
}

/**
 * Whether an origin's failure rate calls for an ejection: the rule is on, the origin had at least
 * `minRequests` requests in the window, and at least `failureRatePercent` of them failed.
 * @example exceedsFailureRate({ requests: 20, failures: 12 }, { failureRatePercent: 50, minRequests: 20 }) === true
 */
export function exceedsFailureRate(
  totals: { requests: number; failures: number },
  passive: { failureRatePercent: number | null; minRequests: number },
): boolean {
  if (passive.failureRatePercent === null || totals.requests < passive.minRequests) return false;
  return totals.failures * 100 >= passive.failureRatePercent * totals.requests;
}

/** One `FailureWindow` per origin name, made on first use. */
export class FailureWindows {
  #windows = new Map<string, FailureWindow>();

  of(name: string): FailureWindow {
    let window = this.#windows.get(name);
    if (!window) {
      window = new FailureWindow();
      this.#windows.set(name, window);
    }
    return window;
  }

  delete(name: string): void {
    this.#windows.delete(name);
  }

  clear(): void {
    this.#windows.clear();
  }
}
