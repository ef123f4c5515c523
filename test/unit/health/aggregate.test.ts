import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AGGREGATE_ANSWER_MAX_AGE_MS,
  AGGREGATE_HEARTBEAT_MS,
  AGGREGATE_INTERVAL_MS,
  AGGREGATE_URGENT_GAP_MS,
  aggregatorName,
  combineReports,
  MAX_PENDING_REPORTS,
  type PendingReport,
  ReportAggregate,
  reportRegion,
} from "../../../worker/health/aggregate.ts";
import { INFLIGHT_STALE_MS } from "../../../worker/health/inflight.ts";
import { mergeStreak } from "../../../worker/health/passive.ts";
import { type NormalizedReport, normalizeReport } from "../../../worker/health/report.ts";
import type { OriginReport, PoolSnapshot } from "../../../worker/health/types.ts";
import type { MetricsDelta } from "../../../worker/metrics/series.ts";

const T0 = 1_700_000_000_000;

function figures(partial: Partial<OriginReport>): OriginReport {
  return { inflight: 0, requests: 0, failures: 0, consecutiveFailures: 0, ...partial };
}

function report(isolateId: string, sentAt: number, origins: Record<string, Partial<OriginReport>>) {
  const full: Record<string, OriginReport> = {};
  for (const [name, partial] of Object.entries(origins)) full[name] = figures(partial);
  return normalizeReport({ isolateId, sentAt, origins: full }, () => true) as NormalizedReport;
}

function pending(
  origins: Record<string, Partial<OriginReport>>,
  metrics: MetricsDelta | null = null,
  configVersion = 0,
) {
  const map = new Map<string, OriginReport>();
  for (const [name, partial] of Object.entries(origins)) map.set(name, figures(partial));
  return { origins: map, metrics, configVersion } satisfies PendingReport;
}

function requests(origin: string, value: number): MetricsDelta {
  return {
    counters: [
      {
        name: "edge_lb_requests_total",
        labels: { load_balancer: "www", pool: "web", origin, status_class: "2xx" },
        value,
      },
    ],
    histograms: [],
  };
}

/** A snapshot in which only `ejected` is out until `until`. */
function snapshotWith(ejected: string, until: number): PoolSnapshot {
  const origin = {
    name: ejected,
    state: "ejected" as const,
    healthy: false,
    check: "unknown" as const,
    healthySince: null,
    ejectedUntil: until,
    inflight: 0,
    latencyMs: null,
    lastCheckAt: null,
    lastError: null,
    consecutiveFailures: 0,
    target: "http://127.0.0.1:1",
    passingSince: null,
  };
  return {
    pool: "web",
    version: 1,
    healthy: true,
    healthyOrigins: 1,
    origins: { [ejected]: origin },
    at: T0,
  };
}

describe("aggregation region and name", () => {
  it("keys on the request's continent, XX when it is unknown", () => {
    expect(reportRegion("EU")).toBe("EU");
    expect(reportRegion("NA")).toBe("NA");
    expect(reportRegion(undefined)).toBe("XX");
    expect(reportRegion("")).toBe("XX");
    expect(reportRegion("WNAM")).toBe("XX");
    expect(reportRegion(42)).toBe("XX");
    expect(aggregatorName("web", "EU")).toBe("web@EU");
  });
});

describe("combining reports", () => {
  it("announces the in-flight sums it is given and sums requests and failures", () => {
    const { report: combined } = combineReports(
      "agg",
      T0,
      new Map([
        ["a", 15],
        ["c", 2],
      ]),
      [
        pending({ a: { requests: 10, failures: 1, consecutiveFailures: 0 } }),
        pending({ a: { requests: 5, failures: 2, consecutiveFailures: 2 }, b: { requests: 4 } }),
      ],
    );
    expect(combined).toEqual({
      isolateId: "agg",
      sentAt: T0,
      origins: {
        a: { inflight: 15, requests: 15, failures: 3, consecutiveFailures: 2 },
        b: { inflight: 0, requests: 4, failures: 0, consecutiveFailures: 0 },
        c: { inflight: 2, requests: 0, failures: 0, consecutiveFailures: 0 },
      },
    });
  });

  it("extends a failure streak across isolates and restarts it after a success", () => {
    const allFailed = combineReports("agg", T0, new Map(), [
      pending({ a: { requests: 2, failures: 2, consecutiveFailures: 2 } }),
      pending({ a: { requests: 3, failures: 3, consecutiveFailures: 3 } }),
    ]).report.origins.a!;
    // The PoolState adds an all-failed period to the streak it has: 7 + 5.
    expect(mergeStreak(7, allFailed)).toBe(12);
    const broken = combineReports("agg", T0, new Map(), [
      pending({ a: { requests: 3, failures: 3, consecutiveFailures: 3 } }),
      pending({ a: { requests: 4, failures: 1, consecutiveFailures: 1 } }),
      pending({ a: { requests: 2, failures: 2, consecutiveFailures: 2 } }),
    ]).report.origins.a!;
    expect(mergeStreak(7, broken)).toBe(3);
  });

  it("leaves the PoolState's failure streak where the reports one by one would have", () => {
    const period = fc
      .record({ requests: fc.nat(6), failures: fc.nat(6), trailing: fc.nat(6) })
      .map(({ requests, failures, trailing }) => {
        const failed = Math.min(failures, requests);
        const consecutive = failed === requests ? failed : Math.min(trailing, failed);
        return figures({ requests, failures: failed, consecutiveFailures: consecutive });
      });
    fc.assert(
      fc.property(fc.nat(20), fc.array(period, { maxLength: 8 }), (streak, periods) => {
        const oneByOne = periods.reduce(mergeStreak, streak);
        const combined = combineReports(
          "agg",
          T0,
          new Map(),
          periods.map((p) => pending({ a: p })),
        ).report.origins.a;
        expect(combined ? mergeStreak(streak, combined) : streak).toBe(oneByOne);
      }),
    );
  });

  it("weights the mean response time by requests", () => {
    const { report: combined } = combineReports("agg", T0, new Map(), [
      pending({ a: { requests: 1, latencyMsAvg: 100 } }),
      pending({ a: { requests: 3, latencyMsAvg: 20 } }),
      pending({ a: { requests: 2, failures: 2, consecutiveFailures: 2 } }),
    ]);
    expect(combined.origins.a!.latencyMsAvg).toBe(40);
  });

  it("sums the metrics deltas series by series", () => {
    const { metrics } = combineReports("agg", T0, new Map(), [
      pending({}, requests("a", 3)),
      pending({}, requests("a", 4)),
      pending({}, requests("b", 1)),
      pending({}, null),
    ]);
    expect(metrics?.counters.map((c) => [c.labels.origin, c.value])).toEqual([
      ["a", 7],
      ["b", 1],
    ]);
    expect(combineReports("agg", T0, new Map(), [pending({ a: { requests: 1 } })]).metrics).toBeNull();
  });

  it("names the newest configuration version its isolates held, so the PoolState keeps their series", () => {
    const { report: combined } = combineReports("agg", T0, new Map(), [
      pending({}, requests("a", 1), 7),
      pending({}, requests("a", 1), 9),
      pending({}, requests("a", 1), 0),
    ]);
    expect(combined.configVersion).toBe(9);
    expect(combineReports("agg", T0, new Map(), [pending({}, requests("a", 1))]).report).not.toHaveProperty(
      "configVersion",
    );
    const aggregate = new ReportAggregate();
    for (const [isolate, configVersion] of [
      ["i1", 12],
      ["i2", 11],
    ] as const) {
      const batch = { isolateId: isolate, sentAt: T0, origins: {}, configVersion };
      aggregate.add(normalizeReport(batch, () => true) as NormalizedReport, requests("a", 1), T0);
    }
    expect(aggregate.take("agg", T0 + 1000).report.configVersion).toBe(12);
  });
});

describe("what an aggregator holds", () => {
  it("sums the latest in-flight figures of its fresh isolates and drops stale ones", () => {
    const aggregate = new ReportAggregate();
    aggregate.add(report("i1", 1, { a: { inflight: 3 } }), null, T0);
    aggregate.add(report("i2", 1, { a: { inflight: 5 }, b: { inflight: 1 } }), null, T0 + 3000);
    aggregate.add(report("i3", 1, { a: { inflight: 7 } }), null, T0 + 3000);
    aggregate.add(report("i3", 2, { a: { inflight: 4 } }), null, T0 + 3100);
    // An older report arriving late changes nothing.
    aggregate.add(report("i3", 1, { a: { inflight: 9 } }), null, T0 + 3200);
    expect(aggregate.take("agg", T0 + 3200).report.origins).toEqual({
      a: figures({ inflight: 12 }),
      b: figures({ inflight: 1 }),
    });
    // i1 has been silent too long.
    expect(aggregate.take("agg", T0 + INFLIGHT_STALE_MS + 1).report.origins).toEqual({
      a: figures({ inflight: 9 }),
      b: figures({ inflight: 1 }),
    });
  });

  it("forwards each isolate's traffic once, in arrival order", () => {
    const aggregate = new ReportAggregate();
    aggregate.add(report("i1", 1, { a: { requests: 2, failures: 2, consecutiveFailures: 2 } }), null, T0);
    aggregate.add(report("i2", 1, { a: { requests: 1 } }), requests("a", 1), T0);
    const first = aggregate.take("agg", T0);
    aggregate.accepted(first, null);
    expect(first.report.origins.a).toEqual(figures({ requests: 3, failures: 2, consecutiveFailures: 0 }));
    expect(first.metrics?.counters[0]?.value).toBe(1);
    const second = aggregate.take("agg", T0 + AGGREGATE_INTERVAL_MS);
    expect(second.report.origins).toEqual({});
    expect(second.metrics).toBeNull();
  });

  it("passes a report that may eject an origin on at once, not after the interval", () => {
    const aggregate = new ReportAggregate();
    aggregate.add(report("i1", 1, { a: { requests: 5 } }), null, T0);
    aggregate.accepted(aggregate.take("agg", T0), null);
    aggregate.add(report("i2", 1, { a: { requests: 5 } }), null, T0 + 60);
    expect(aggregate.forwardNow(T0 + 60)).toBe(false);
    expect(aggregate.dueAt(T0 + 60)).toBe(T0 + AGGREGATE_INTERVAL_MS);
    aggregate.add(
      report("i3", 1, { a: { requests: 2, failures: 2, consecutiveFailures: 2 } }),
      null,
      T0 + 60,
    );
    expect(aggregate.forwardNow(T0 + 60)).toBe(true);
    const forward = aggregate.take("agg", T0 + 60);
    expect(forward.report.origins.a).toEqual(figures({ requests: 7, failures: 2, consecutiveFailures: 2 }));
    // More failures right behind it wait only for the short gap, not the interval.
    aggregate.accepted(forward, null);
    aggregate.add(
      report("i1", 2, { a: { requests: 1, failures: 1, consecutiveFailures: 1 } }),
      null,
      T0 + 70,
    );
    expect(aggregate.forwardNow(T0 + 70)).toBe(false);
    expect(aggregate.dueAt(T0 + 70)).toBe(T0 + 60 + AGGREGATE_URGENT_GAP_MS);
  });

  it("does not hurry failures of an origin the PoolState has ejected already", () => {
    const ejected = (origin: string, until: number) => {
      const aggregate = new ReportAggregate();
      aggregate.accepted(aggregate.take("agg", T0), snapshotWith(origin, until));
      aggregate.add(
        report("i1", 1, { a: { requests: 1, failures: 1, consecutiveFailures: 1 } }),
        null,
        T0 + 60,
      );
      return aggregate;
    };
    expect(ejected("a", T0 + 30_000).forwardNow(T0 + 60)).toBe(false);
    expect(ejected("a", T0 + 30_000).dueAt(T0 + 60)).toBe(T0 + AGGREGATE_INTERVAL_MS);
    expect(ejected("a", T0 + 5).forwardNow(T0 + 60)).toBe(true);
    expect(ejected("b", T0 + 30_000).forwardNow(T0 + 60)).toBe(true);
  });

  it("keeps the PoolState counting while requests are in flight, and goes quiet after", () => {
    const aggregate = new ReportAggregate();
    expect(aggregate.dueAt(T0)).toBeNull();
    aggregate.add(report("i1", 1, { a: { inflight: 2 } }), null, T0);
    expect(aggregate.dueAt(T0)).toBeLessThanOrEqual(T0);
    aggregate.accepted(aggregate.take("agg", T0), null);
    expect(aggregate.dueAt(T0 + 1)).toBe(T0 + AGGREGATE_HEARTBEAT_MS);
    // The isolate goes silent: once it is stale the sums changed, and that is news.
    const later = T0 + INFLIGHT_STALE_MS + 1;
    expect(aggregate.dueAt(later)).toBe(T0 + AGGREGATE_INTERVAL_MS);
    const last = aggregate.take("agg", later);
    expect(last.report.origins).toEqual({});
    aggregate.accepted(last, null);
    expect(aggregate.dueAt(later + 1)).toBeNull();
  });

  it("refreshes an answer older than the edges' snapshot TTL, news or not", () => {
    const aggregate = new ReportAggregate();
    aggregate.accepted(aggregate.take("agg", T0), null);
    aggregate.add(report("i1", 1, {}), null, T0 + AGGREGATE_ANSWER_MAX_AGE_MS - 1);
    expect(aggregate.dueAt(T0 + AGGREGATE_ANSWER_MAX_AGE_MS - 1)).toBeNull();
    expect(aggregate.forwardNow(T0 + AGGREGATE_ANSWER_MAX_AGE_MS - 1)).toBe(false);
    expect(aggregate.forwardNow(T0 + AGGREGATE_ANSWER_MAX_AGE_MS)).toBe(true);
  });

  it("puts a failed forward back ahead of newer reports and waits for the backoff", () => {
    const aggregate = new ReportAggregate();
    aggregate.add(report("i1", 1, { a: { requests: 3, failures: 3, consecutiveFailures: 3 } }), null, T0);
    const failed = aggregate.take("agg", T0);
    aggregate.failed(failed, T0 + 1000);
    aggregate.add(
      report("i2", 1, { a: { requests: 2, failures: 1, consecutiveFailures: 0 } }),
      null,
      T0 + 10,
    );
    expect(aggregate.backingOff(T0 + 10)).toBe(true);
    expect(aggregate.forwardNow(T0 + 10)).toBe(false);
    expect(aggregate.dueAt(T0 + 10)).toBe(T0 + 1000);
    const retry = aggregate.take("agg", T0 + 1000);
    expect(retry.report.origins.a).toEqual(figures({ requests: 5, failures: 4, consecutiveFailures: 0 }));
  });

  it("gives a report back to its sender only while it is not forwarded", () => {
    const aggregate = new ReportAggregate();
    const entry = aggregate.add(report("i1", 1, { a: { requests: 1 } }), null, T0)!;
    expect(aggregate.add(report("i2", 1, { a: { inflight: 1 } }), null, T0)).toBeNull();
    expect(aggregate.withdraw(entry)).toBe(true);
    expect(aggregate.take("agg", T0).report.origins).toEqual({ a: figures({ inflight: 1 }) });
    const forwarded = aggregate.add(report("i1", 2, { a: { requests: 1 } }), null, T0 + 1)!;
    aggregate.take("agg", T0 + 1);
    expect(aggregate.withdraw(forwarded)).toBe(false);
  });

  it("folds old reports together while the PoolState is unreachable, saying the same", () => {
    const aggregate = new ReportAggregate();
    aggregate.failed(aggregate.take("agg", T0), T0 + 30_000);
    const sent: PendingReport[] = [];
    let last: PendingReport | null = null;
    for (let i = 0; i < MAX_PENDING_REPORTS + 500; i++) {
      const figures = i % 7 === 0 ? { requests: 2, failures: 1, consecutiveFailures: 1 } : { requests: 3 };
      last = aggregate.add(report(`i${i % 40}`, i, { a: figures }), requests("a", 1), T0 + i);
      sent.push(pending({ a: figures }, requests("a", 1)));
    }
    // The newest report can still be taken back by its sender.
    expect(aggregate.withdraw(last!)).toBe(true);
    const expected = combineReports("agg", T0 + 30_000, new Map(), sent.slice(0, -1));
    const forward = aggregate.take("agg", T0 + 30_000);
    expect(forward.report.origins).toEqual(expected.report.origins);
    expect(forward.metrics).toEqual(expected.metrics);
    expect(forward.entries.length).toBeLessThanOrEqual(MAX_PENDING_REPORTS);
  });
});
