/**
 * Each origin's share of its pool's requests over the last 30 seconds, from the counter
 * `edge_lb_requests_total` at /__lb/metrics (summed over load balancers and status classes).
 */

const SHARE_WINDOW_MS = 30_000;

/** Requests so far, keyed `pool \n origin`. */
export type Counts = Map<string, number>;

/** Reads the per-origin request counters out of the Prometheus text. */
export function requestCounts(metrics: unknown): Counts {
  const counts: Counts = new Map();
  if (typeof metrics !== "string") return counts;
  for (const line of metrics.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}\s+([0-9.eE+-]+)/.exec(line);
    if (match?.[1] !== "edge_lb_requests_total") continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] ?? ""] = pair[2] ?? "";
    }
    if (labels.pool === undefined || labels.origin === undefined) continue;
    const key = `${labels.pool}\n${labels.origin}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(match[3]));
  }
  return counts;
}

/** A sliding window of counter samples; `update` answers the shares over it. */
export class ShareWindow {
  private samples: { at: number; counts: Counts }[] = [];
  private shares = new Map<string, number>();

  /** Forgets every sample (a new sign-in). */
  reset(): void {
    this.samples = [];
    this.shares = new Map();
  }

  /** Adds the counters read now and recomputes each origin's share against the oldest sample kept. */
  update(counts: Counts, now = Date.now()): void {
    this.samples.push({ at: now, counts });
    while (this.samples.length > 2 && (this.samples[1]?.at ?? now) <= now - SHARE_WINDOW_MS) {
      this.samples.shift();
    }
    const oldest = this.samples[0]?.counts ?? new Map<string, number>();
    const deltas = new Map<string, number>();
    const totals = new Map<string, number>();
    for (const [key, value] of counts) {
      const delta = Math.max(0, value - (oldest.get(key) ?? 0));
      const pool = key.split("\n")[0] ?? "";
      deltas.set(key, delta);
      totals.set(pool, (totals.get(pool) ?? 0) + delta);
    }
    const next = new Map<string, number>();
    for (const [key, delta] of deltas) {
      const total = totals.get(key.split("\n")[0] ?? "") ?? 0;
      if (total > 0) next.set(key, delta / total);
    }
    this.shares = next;
  }

  /** The origin's share in [0, 1], or undefined before any traffic was seen. */
  shareOf(pool: string, origin: string): number | undefined {
    return this.shares.get(`${pool}\n${origin}`);
  }
}
