import { describe, expect, it } from "vitest";
import { SeriesSet, seriesRef } from "../../../worker/metrics/series.ts";

const A = { load_balancer: "www", pool: "web", origin: "a" };

describe("series identified up front", () => {
  it("count into the same series as add and observe by name and labels", () => {
    const byRef = new SeriesSet();
    const byName = new SeriesSet();
    const retries = seriesRef("edge_lb_retries_total", A);
    const latency = seriesRef("edge_lb_origin_response_seconds", A);
    byRef.addRef(retries);
    byRef.addRef(retries, 2);
    byRef.observeRef(latency, 7);
    byRef.add("edge_lb_retries_total", { origin: "a", pool: "web", load_balancer: "www" });
    byName.add("edge_lb_retries_total", A, 4);
    byName.observe("edge_lb_origin_response_seconds", A, 7);
    expect(byRef.counter("edge_lb_retries_total", A)).toBe(4);
    expect(byRef.toDelta()).toEqual(byName.toDelta());
  });

  it("respect the series cap like add does", () => {
    const set = new SeriesSet(1);
    set.addRef(seriesRef("edge_lb_retries_total", A));
    set.addRef(seriesRef("edge_lb_retries_total", { ...A, origin: "b" }));
    set.observeRef(seriesRef("edge_lb_origin_response_seconds", A), 3);
    expect(set.size).toBe(1);
  });
});
