/**
 * In-flight requests per origin across edges: each isolate reports its own figures, the table sums
 * the fresh ones. An isolate silent for longer than `INFLIGHT_STALE_MS` no longer counts (it may be
 * gone; a live isolate with requests in flight keeps reporting). Pure; lives in DO memory only,
 * because the figures are stale within seconds anyway and edges re-send them.
 */

/**
 * An isolate whose last report is older than this is left out of the sums. Edges send their
 * in-flight figures when they move and at least every 30 s while they are not zero
 * (worker/edge/report-cadence.ts), so a live isolate is never dropped; a dead one counts for this
 * long at most.
 */
export const INFLIGHT_STALE_MS = 90_000;

/** Bound on remembered isolates, so a flood of distinct ids cannot grow memory without limit. */
export const MAX_TRACKED_ISOLATES = 10_000;

interface IsolateFigures {
  sentAt: number;
  /** Isolates the reporter speaks for: 1, or an aggregator's count. */
  isolates: number;
  receivedAt: number;
  origins: Record<string, number>;
}

export class InflightTable {
  #isolates = new Map<string, IsolateFigures>();

  /**
   * Replaces the figures of one isolate. Returns false, changing nothing, when the isolate already
   * sent a newer report (reports may arrive out of order).
   */
  record(
    isolateId: string,
    sentAt: number,
    origins: Record<string, number>,
    now: number,
    isolates = 1,
  ): boolean {
    const previous = this.#isolates.get(isolateId);
    if (previous && previous.sentAt > sentAt) return false;
    this.#isolates.delete(isolateId);
    if (this.#isolates.size >= MAX_TRACKED_ISOLATES) this.prune(now);
    if (this.#isolates.size >= MAX_TRACKED_ISOLATES) {
      const oldest = this.#isolates.keys().next();
      if (!oldest.done) this.#isolates.delete(oldest.value);
    }
    this.#isolates.set(isolateId, { sentAt, isolates, receivedAt: now, origins });
    return true;
  }

  /** Sum of the fresh reports for each origin. */
  totals(now: number): Map<string, number> {
    const totals = new Map<string, number>();
    for (const figures of this.#isolates.values()) {
      if (now - figures.receivedAt > INFLIGHT_STALE_MS) continue;
      for (const [name, count] of Object.entries(figures.origins)) {
        totals.set(name, (totals.get(name) ?? 0) + count);
      }
    }
    return totals;
  }

  /** Isolates heard from in the last `INFLIGHT_STALE_MS`, counting those an aggregator speaks for. */
  isolates(now: number): number {
    let count = 0;
    for (const figures of this.#isolates.values()) {
      if (now - figures.receivedAt <= INFLIGHT_STALE_MS) count += figures.isolates;
    }
    return count;
  }

  /** Forgets isolates whose reports are stale. */
  prune(now: number): void {
    for (const [id, figures] of this.#isolates) {
      if (now - figures.receivedAt > INFLIGHT_STALE_MS) this.#isolates.delete(id);
    }
  }

  clear(): void {
    this.#isolates.clear();
  }
}
