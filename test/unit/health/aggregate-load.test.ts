/**
 * The effect of regional aggregation as built (docs/scale.md, "Regional aggregation"), measured by
 * replaying simulated isolates through the real `ReportAggregate` (its combining, its interval,
 * heartbeat and at-once rules): how many calls per second reach a pool's PoolState with and
 * without aggregators, and how soon a run of failures reaches it. Deterministic (seeded), bounded,
 * simulated time only.
 */
import { describe, expect, it } from "vitest";
import {
  AGGREGATE_INTERVAL_MS,
  AGGREGATE_URGENT_GAP_MS,
  ReportAggregate,
} from "../../../worker/health/aggregate.ts";
import { InflightTable } from "../../../worker/health/inflight.ts";
import { normalizeReport } from "../../../worker/health/report.ts";
import type { HealthReport, OriginReport } from "../../../worker/health/types.ts";
import { seeded } from "../../helpers/seeded-random.ts";

/** `REPORT_INTERVAL_MS` of worker/edge/reports.ts (restated: that module needs the Workers runtime). */
const REPORT_INTERVAL_MS = 300;
/** What one Durable Object handles, per docs/scale.md. */
const DO_CAPACITY = 1000;
/** Share of requests that fail at random on every origin, so that some reports end in a failure. */
const FAILURE_RATE = 0.002;
const SPAN_MS = 10_000;
/** From this moment origin `b` fails every request. */
const OUTAGE_AT = 8000;

/**
 * Active isolates of one pool per continent: as many as one aggregator is planned for in the
 * busiest regions (240, at 3.3 reports per second each: 80 % of a DO), 1,120 in all.
 */
const ISOLATES_PER_REGION: Record<string, number> = { NA: 240, EU: 240, AS: 240, SA: 180, OC: 120, AF: 100 };

interface Isolate {
  id: string;
  region: number;
  /** Requests per second: 1 to ~1,000, log-uniform. */
  rate: number;
  phase: number;
}

interface Aggregator {
  aggregate: ReportAggregate;
  alarmAt: number | null;
  /** Calls it received per simulated second. */
  calls: number[];
}

function perSecond(): number[] {
  return new Array(SPAN_MS / 1000).fill(0);
}

/** One isolate's report for one interval: requests split over origins `a` and `b`. */
function reportOf(isolate: Isolate, now: number, random: () => number): HealthReport | null {
  const expected = isolate.rate * (REPORT_INTERVAL_MS / 1000);
  const count = Math.floor(expected) + (random() < expected - Math.floor(expected) ? 1 : 0);
  const inflight = Math.round(isolate.rate * 0.05 * random());
  if (count === 0 && inflight === 0) return null;
  const origins: Record<string, OriginReport> = {};
  for (const name of ["a", "b"]) {
    origins[name] = { inflight: 0, requests: 0, failures: 0, consecutiveFailures: 0 };
  }
  origins.a!.inflight = Math.ceil(inflight / 2);
  origins.b!.inflight = Math.floor(inflight / 2);
  for (let i = 0; i < count; i++) {
    const figures = origins[random() < 0.5 ? "a" : "b"]!;
    const failed = random() < FAILURE_RATE || (figures === origins.b && now >= OUTAGE_AT);
    figures.requests++;
    if (failed) {
      figures.failures++;
      figures.consecutiveFailures++;
    } else figures.consecutiveFailures = 0;
  }
  return { isolateId: isolate.id, sentAt: now, origins };
}

function simulate() {
  const random = seeded(2024);
  const regions = Object.values(ISOLATES_PER_REGION);
  const isolates: Isolate[] = [];
  regions.forEach((count, region) => {
    for (let i = 0; i < count; i++) {
      isolates.push({
        id: `isolate-${region}-${i}`,
        region,
        rate: 10 ** (random() * 3),
        phase: Math.floor(random() * REPORT_INTERVAL_MS),
      });
    }
  });
  const byPhase = new Map<number, Isolate[]>();
  for (const isolate of isolates)
    byPhase.set(isolate.phase, [...(byPhase.get(isolate.phase) ?? []), isolate]);
  const aggregators: Aggregator[] = regions.map(() => ({
    aggregate: new ReportAggregate(),
    alarmAt: null,
    calls: perSecond(),
  }));
  const direct = perSecond();
  const pool = perSecond();
  const poolInflight = new InflightTable();
  let firstOutageReportAt: number | null = null;
  let firstOutageForwardAt: number | null = null;
  let lastSums = { seen: 0, truth: 0 };
  const truth = new InflightTable();

  const forward = (aggregator: Aggregator, index: number, now: number) => {
    const sent = aggregator.aggregate.take(`aggregator-${index}`, now);
    pool[Math.floor(now / 1000)]!++;
    poolInflight.record(sent.report.isolateId, now, inflightOf(sent.report), now);
    if (
      firstOutageForwardAt === null &&
      (sent.report.origins.b?.consecutiveFailures ?? 0) > 0 &&
      now >= OUTAGE_AT
    ) {
      firstOutageForwardAt = now;
    }
    // The PoolState never ejects here (as when its maxEjectionPercent is reached): the worst case.
    aggregator.aggregate.accepted(sent, null);
  };

  for (let now = 0; now < SPAN_MS; now++) {
    for (const isolate of byPhase.get(now % REPORT_INTERVAL_MS) ?? []) {
      const report = reportOf(isolate, now, random);
      if (!report) continue;
      const second = Math.floor(now / 1000);
      direct[second]!++;
      truth.record(report.isolateId, now, inflightOf(report), now);
      if (firstOutageReportAt === null && now >= OUTAGE_AT && report.origins.b!.failures > 0) {
        firstOutageReportAt = now;
      }
      const aggregator = aggregators[isolate.region]!;
      aggregator.calls[second]!++;
      aggregator.aggregate.add(normalizeReport(report, () => true)!, null, now);
      if (aggregator.aggregate.forwardNow(now)) forward(aggregator, isolate.region, now);
      aggregator.alarmAt = aggregator.aggregate.dueAt(now);
    }
    aggregators.forEach((aggregator, index) => {
      if (aggregator.alarmAt === null || aggregator.alarmAt > now) return;
      const due = aggregator.aggregate.dueAt(now);
      if (due !== null && due <= now) forward(aggregator, index, now);
      aggregator.alarmAt = aggregator.aggregate.dueAt(now);
    });
    if (now === OUTAGE_AT - 1) {
      lastSums = { seen: sum(poolInflight.totals(now)), truth: sum(truth.totals(now)) };
    }
  }
  return { direct, pool, aggregators, firstOutageReportAt, firstOutageForwardAt, lastSums };
}

function inflightOf(report: HealthReport): Record<string, number> {
  const inflight: Record<string, number> = {};
  for (const [name, figures] of Object.entries(report.origins)) {
    if (figures.inflight > 0) inflight[name] = figures.inflight;
  }
  return inflight;
}

function sum(totals: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const count of totals.values()) total += count;
  return total;
}

const mean = (seconds: number[]) => seconds.reduce((a, b) => a + b, 0) / seconds.length;

describe("regional aggregation, measured", () => {
  const result = simulate();
  const regions = Object.keys(ISOLATES_PER_REGION).length;
  // Before the outage: steady traffic with a trickle of random failures.
  const steady = (seconds: number[]) => seconds.slice(0, OUTAGE_AT / 1000);

  it("takes the PoolState from several DOs' worth of calls to a few dozen per second", () => {
    expect(mean(steady(result.direct))).toBeGreaterThan(3 * DO_CAPACITY);
    const poolMean = mean(steady(result.pool));
    // One combined report per region and interval, plus some sooner for reports ending in a failure.
    expect(poolMean).toBeGreaterThanOrEqual(regions * (1000 / AGGREGATE_INTERVAL_MS) * 0.9);
    expect(poolMean).toBeLessThan(0.05 * DO_CAPACITY);
    expect(mean(steady(result.direct)) / poolMean).toBeGreaterThan(50);
  });

  it("stays bounded while an origin fails every request and is never ejected", () => {
    const outage = result.pool.slice(OUTAGE_AT / 1000);
    expect(Math.max(...outage)).toBeGreaterThan(Math.max(...steady(result.pool)));
    expect(Math.max(...outage)).toBeLessThanOrEqual(regions * (1000 / AGGREGATE_URGENT_GAP_MS));
    expect(Math.max(...result.pool)).toBeLessThan(0.2 * DO_CAPACITY);
  });

  it("keeps every aggregator under what one DO serves", () => {
    for (const aggregator of result.aggregators) {
      expect(Math.max(...aggregator.calls)).toBeLessThanOrEqual(0.8 * DO_CAPACITY);
    }
  });

  it("carries the in-flight sum of every fresh isolate to the PoolState", () => {
    expect(result.lastSums.truth).toBeGreaterThan(500);
    expect(Math.abs(result.lastSums.seen - result.lastSums.truth) / result.lastSums.truth).toBeLessThan(0.25);
  });

  it("passes the first failures of an outage on in the same moment they arrive", () => {
    expect(result.firstOutageReportAt).not.toBeNull();
    expect(result.firstOutageForwardAt).toBe(result.firstOutageReportAt);
  });
});
