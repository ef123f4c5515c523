import { describe, expect, it } from "vitest";
import {
  bucketIndex,
  cumulativeBuckets,
  emptyHistogram,
  LATENCY_BUCKETS_MS,
  mergeHistogram,
  observe,
} from "../../../worker/metrics/histogram.ts";

describe("latency histogram", () => {
  it("puts a value on a bound into that bound's bucket and one just above into the next", () => {
    expect(bucketIndex(0)).toBe(0);
    expect(bucketIndex(5)).toBe(0);
    expect(bucketIndex(5.01)).toBe(1);
    expect(bucketIndex(10_000)).toBe(LATENCY_BUCKETS_MS.length - 1);
    expect(bucketIndex(10_000.5)).toBe(LATENCY_BUCKETS_MS.length);
  });

  it("counts observations, sums them, and turns buckets cumulative with +Inf equal to the count", () => {
    const histogram = emptyHistogram();
    for (const ms of [1, 7, 7, 60, 20_000]) observe(histogram, ms);
    expect(histogram.count).toBe(5);
    expect(histogram.sum).toBe(20_075);
    const cumulative = cumulativeBuckets(histogram);
    expect(cumulative).toHaveLength(LATENCY_BUCKETS_MS.length + 1);
    // le=5: 1; le=10: 3; le=25, 50: 3; le=100 .. 10000: 4; +Inf: 5
    expect(cumulative).toEqual([1, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 5]);
  });

  it("counts a negative or non-finite duration as 0 ms instead of corrupting the sum", () => {
    const histogram = emptyHistogram();
    observe(histogram, -3);
    observe(histogram, Number.NaN);
    expect(histogram).toMatchObject({ count: 2, sum: 0 });
    expect(histogram.buckets[0]).toBe(2);
  });

  it("merges bucket by bucket", () => {
    const a = emptyHistogram();
    const b = emptyHistogram();
    observe(a, 3);
    observe(b, 3);
    observe(b, 300);
    mergeHistogram(a, b);
    expect(a.count).toBe(3);
    expect(a.sum).toBe(306);
    expect(a.buckets[0]).toBe(2);
    expect(a.buckets[bucketIndex(300)]).toBe(1);
    expect(b.count).toBe(2);
  });
});
