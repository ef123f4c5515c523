import { describe, expect, it } from "vitest";
import { figuresOfDelta, minuteOf, quantileMs, toPoint } from "../../../worker/metrics/history.ts";
import { SeriesSet } from "../../../worker/metrics/series.ts";

describe("minute history", () => {
  it("takes each origin's requests, failures by kind, retries and latency out of a delta", () => {
    const delta = new SeriesSet();
    const a = { load_balancer: "www", pool: "web", origin: "a" };
    delta.add("edge_lb_requests_total", { ...a, status_class: "2xx" }, 5);
    delta.add("edge_lb_requests_total", { ...a, load_balancer: "api", status_class: "5xx" }, 2);
    delta.add("edge_lb_errors_total", { ...a, kind: "timeout" }, 2);
    delta.add("edge_lb_retries_total", { ...a, origin: "b" }, 1);
    delta.add("edge_lb_attempts_total", { ...a, outcome: "2xx" }, 9);
    delta.observe("edge_lb_origin_response_seconds", a, 30);
    const figures = figuresOfDelta(delta.toDelta());
    expect(figures.get("a")).toMatchObject({
      requests: 7,
      failures: { "5xx": 0, timeout: 2, connect: 0 },
      retries: 0,
    });
    expect(figures.get("a")?.latency[3]).toBe(1);
    expect(figures.get("b")).toMatchObject({ requests: 0, retries: 1 });
  });

  it("answers quantiles as bucket upper bounds, null without observations", () => {
    expect(quantileMs([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.5)).toBeNull();
    expect(quantileMs([1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.5)).toBe(10);
    expect(quantileMs([19, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 0.95)).toBe(5);
    expect(quantileMs([18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 0.95)).toBe(10000);
  });

  it("dates a point by the start of its minute", () => {
    const at = Date.UTC(2026, 0, 1, 10, 7, 42, 500);
    expect(minuteOf(at)).toBe(Date.UTC(2026, 0, 1, 10, 7));
    const point = toPoint(
      minuteOf(at),
      figuresOfDelta({ counters: [], histograms: [] }).get("x") ?? {
        requests: 0,
        failures: { "5xx": 0, timeout: 0, connect: 0 },
        retries: 0,
        latency: [],
      },
      2,
      "healthy",
    );
    expect(point).toMatchObject({
      at: "2026-01-01T10:07:00.000Z",
      inflight: 2,
      state: "healthy",
      p95Ms: null,
    });
  });
});
