/**
 * Latency histograms with fixed bucket bounds, so that histograms from every edge and every
 * reporting period add up bucket by bucket. Counts are kept per bucket (not cumulative) and turned
 * cumulative only when rendered. Observations are in milliseconds; the exposition shows seconds.
 * Pure.
 */

/** Upper bounds of the buckets in ms; one more bucket above the last holds everything slower. */
export const LATENCY_BUCKETS_MS: readonly number[] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export interface Histogram {
  /** Observations per bucket: `buckets[i]` counts values in (bound[i-1], bound[i]]; the last, above all bounds. */
  buckets: number[];
  /** Sum of the observed values, in ms. */
  sum: number;
  count: number;
}

/** A histogram with no observations. */
export function emptyHistogram(): Histogram {
  return { buckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0), sum: 0, count: 0 };
}

/**
 * The bucket a value in ms falls into (the first bound it does not exceed).
 * @example bucketIndex(5) // 0; bucketIndex(5.1) // 1; bucketIndex(60_000) // 11
 */
export function bucketIndex(valueMs: number): number {
  for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) {
    if (valueMs <= (LATENCY_BUCKETS_MS[i] as number)) return i;
  }
  return LATENCY_BUCKETS_MS.length;
}

/** Adds one observation; a negative or non-finite value counts as 0 ms. */
export function observe(histogram: Histogram, valueMs: number): void {
  const value = Number.isFinite(valueMs) && valueMs > 0 ? valueMs : 0;
  const index = bucketIndex(value);
  histogram.buckets[index] = (histogram.buckets[index] ?? 0) + 1;
  histogram.sum += value;
  histogram.count++;
}

/** Adds `other` into `into`, bucket by bucket. */
export function mergeHistogram(into: Histogram, other: Histogram): void {
  for (let i = 0; i < into.buckets.length; i++) {
    into.buckets[i] = (into.buckets[i] ?? 0) + (other.buckets[i] ?? 0);
  }
  into.sum += other.sum;
  into.count += other.count;
}

/**
 * The cumulative counts Prometheus expects, one per bound and the last for `+Inf` (= count).
 * @example cumulativeBuckets({ buckets: [1, 0, 2, ...zeros], sum, count: 3 }) // [1, 1, 3, ..., 3]
 */
export function cumulativeBuckets(histogram: Histogram): number[] {
  const cumulative: number[] = [];
  let running = 0;
  for (const count of histogram.buckets) {
    running += count;
    cumulative.push(running);
  }
  return cumulative;
}
