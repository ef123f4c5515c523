import { describe, expect, it } from "vitest";
import { emptyHistogram, observe } from "../../../worker/metrics/histogram.ts";
import { normalizeDelta } from "../../../worker/metrics/normalize.ts";
import { SeriesSet } from "../../../worker/metrics/series.ts";

const A = { load_balancer: "www", pool: "web", origin: "a" };
const B = { load_balancer: "www", pool: "web", origin: "b" };

describe("series sets", () => {
  it("adds to the same series whatever the order its labels were written in", () => {
    const set = new SeriesSet();
    set.add("edge_lb_retries_total", A);
    set.add("edge_lb_retries_total", { origin: "a", pool: "web", load_balancer: "www" }, 2);
    set.add("edge_lb_retries_total", B);
    expect(set.counter("edge_lb_retries_total", A)).toBe(3);
    expect(set.counter("edge_lb_retries_total", B)).toBe(1);
    expect(set.size).toBe(2);
  });

  it("merges deltas into running totals: counters add, histograms add per bucket", () => {
    const totals = new SeriesSet();
    const first = new SeriesSet();
    first.add("edge_lb_retries_total", A, 2);
    first.observe("edge_lb_origin_response_seconds", A, 7);
    const second = new SeriesSet();
    second.add("edge_lb_retries_total", A, 3);
    second.observe("edge_lb_origin_response_seconds", A, 700);
    totals.merge(first.toDelta());
    totals.merge(second.toDelta());
    expect(totals.counter("edge_lb_retries_total", A)).toBe(5);
    expect(totals.histogram("edge_lb_origin_response_seconds", A)).toMatchObject({ count: 2, sum: 707 });
  });

  it("hands out copies: changing the set later does not change a delta already taken", () => {
    const set = new SeriesSet();
    set.observe("edge_lb_origin_response_seconds", A, 7);
    const delta = set.toDelta();
    set.observe("edge_lb_origin_response_seconds", A, 7);
    expect(delta.histograms[0]?.histogram.count).toBe(1);
  });

  it("keeps adding to known series but ignores new ones beyond its cap", () => {
    const set = new SeriesSet(1);
    set.add("edge_lb_retries_total", A);
    set.add("edge_lb_retries_total", B);
    set.observe("edge_lb_origin_response_seconds", B, 1);
    set.add("edge_lb_retries_total", A);
    expect(set.size).toBe(1);
    expect(set.counter("edge_lb_retries_total", A)).toBe(2);
    // Not silently: what the cap kept out is counted (a metric and a log line report it).
    expect(set.droppedSeries).toBe(2);
  });

  it("drops the series a predicate refuses and says which", () => {
    const set = new SeriesSet();
    set.add("edge_lb_retries_total", A);
    set.observe("edge_lb_origin_response_seconds", B, 1);
    const dropped = set.retain((_name, labels) => labels.origin !== "b");
    expect(dropped).toEqual([{ name: "edge_lb_origin_response_seconds", labels: B }]);
    expect(set.size).toBe(1);
  });
});

describe("reading a delta an edge sent", () => {
  const histogram = () => {
    const h = emptyHistogram();
    observe(h, 12);
    return h;
  };

  it("keeps valid edge series of its own pool", () => {
    const delta = normalizeDelta(
      {
        counters: [{ name: "edge_lb_retries_total", labels: A, value: 2 }],
        histograms: [{ name: "edge_lb_origin_response_seconds", labels: A, histogram: histogram() }],
      },
      "web",
    );
    expect(delta.counters).toEqual([{ name: "edge_lb_retries_total", labels: A, value: 2 }]);
    expect(delta.histograms[0]?.histogram).toMatchObject({ count: 1, sum: 12 });
  });

  it("drops unknown names, pool-kept series, wrong labels, other pools and bad figures", () => {
    const delta = normalizeDelta(
      {
        counters: [
          { name: "edge_lb_nonsense_total", labels: A, value: 1 },
          { name: "edge_lb_origin_ejections_total", labels: { pool: "web", origin: "a" }, value: 1 },
          { name: "edge_lb_retries_total", labels: { ...A, extra: "x" }, value: 1 },
          { name: "edge_lb_retries_total", labels: { load_balancer: "www", pool: "web" }, value: 1 },
          { name: "edge_lb_retries_total", labels: { ...A, pool: "other" }, value: 1 },
          { name: "edge_lb_retries_total", labels: { ...A, origin: "" }, value: 1 },
          { name: "edge_lb_retries_total", labels: { ...A, origin: 7 }, value: 1 },
          { name: "edge_lb_retries_total", labels: A, value: -1 },
          { name: "edge_lb_retries_total", labels: A, value: Number.NaN },
          { name: "edge_lb_origin_response_seconds", labels: A, value: 1 },
          "junk",
          null,
        ],
        histograms: [
          { name: "edge_lb_origin_response_seconds", labels: A, histogram: { buckets: [1, 2], sum: 1 } },
          { name: "edge_lb_retries_total", labels: A, histogram: histogram() },
        ],
      },
      "web",
    );
    expect(delta).toEqual({ counters: [], histograms: [] });
  });

  it("recomputes a histogram's count from its buckets and bounds its sum", () => {
    const h = histogram();
    const delta = normalizeDelta(
      {
        counters: [],
        histograms: [
          { name: "edge_lb_origin_response_seconds", labels: A, histogram: { ...h, count: 999, sum: 1e300 } },
        ],
      },
      "web",
    );
    expect(delta.histograms[0]?.histogram.count).toBe(1);
    expect(delta.histograms[0]?.histogram.sum).toBeLessThanOrEqual(86_400_000);
  });

  it("treats a missing or malformed delta as empty", () => {
    for (const input of [undefined, null, 3, "x", { counters: "x" }]) {
      expect(normalizeDelta(input, "web")).toEqual({ counters: [], histograms: [] });
    }
  });
});
