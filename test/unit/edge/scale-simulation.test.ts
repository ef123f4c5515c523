/**
 * docs/scale.md checked by simulation with the real scheduling code: the read cadence
 * (worker/edge/cadence.ts), the per-location rule (worker/edge/location-share.ts), the report due
 * rule and in-flight average (worker/edge/report-cadence.ts), the regional aggregator
 * (worker/health/aggregate.ts), the PoolState's in-flight table (worker/health/inflight.ts) and its
 * automatic aggregation decision (worker/health/aggregation-mode.ts).
 *
 * One busy least_connections pool (the costly case: its reports carry in-flight figures) served by
 * 22,000 isolates in ~300 locations over the nine Durable Object regions, each isolate 1 to 1,000
 * requests per second (log-uniform), 0.2 % of requests failing, random phases; 40 simulated seconds
 * in 100 ms steps, measured over the last 30. Calls complete within their step (no latency), so two
 * isolates of a location never race for a claim here. Deterministic (seeded); no timers.
 */
import { describe, expect, it } from "vitest";
import { CALL_CEILING_MS, ReadCadence } from "../../../worker/edge/cadence.ts";
import { decideLook } from "../../../worker/edge/location-share.ts";
import { InflightAverage, outOfBand, reportDueAt } from "../../../worker/edge/report-cadence.ts";
import { ReportAggregate } from "../../../worker/health/aggregate.ts";
import { AGGREGATE_ON_ABOVE, nextAggregated } from "../../../worker/health/aggregation-mode.ts";
import { InflightTable } from "../../../worker/health/inflight.ts";
import { normalizeReport } from "../../../worker/health/report.ts";
import type { HealthReport } from "../../../worker/health/types.ts";
import { seeded } from "../../helpers/seeded-random.ts";

/** Active isolates of the pool per Durable Object region, 22,000 in all. */
const ISOLATES_PER_REGION: Record<string, number> = {
  wnam: 4000,
  enam: 5000,
  sam: 1200,
  weur: 4000,
  eeur: 1500,
  apac: 5000,
  oc: 500,
  afr: 400,
  me: 400,
};
const LOCATIONS = 300;
/** Mean time a request is in flight at the origin. */
const LATENCY_S = 0.1;
const STEP_MS = 100;
const WARMUP_MS = 10_000;
const SPAN_MS = 40_000;

interface Location {
  poolFetchedAt: number | null;
  configFetchedAt: number;
}

interface Isolate {
  id: string;
  region: number;
  location: Location;
  rate: number;
  pool: ReadCadence;
  configHeardAt: number;
  lastSentAt: number;
  counters: boolean;
  inflight: number;
  average: InflightAverage;
  sentAverage: number;
  reported: number;
}

/** Calls per whole second of the measured span, for one object. */
class Meter {
  readonly seconds = new Array((SPAN_MS - WARMUP_MS) / 1000).fill(0) as number[];
  hit(at: number): void {
    if (at >= WARMUP_MS) this.seconds[Math.floor((at - WARMUP_MS) / 1000)]! += 1;
  }
  get peak(): number {
    return Math.max(...this.seconds);
  }
  get mean(): number {
    return this.seconds.reduce((a, b) => a + b, 0) / this.seconds.length;
  }
}

function poisson(mean: number, random: () => number): number {
  if (mean > 30) {
    const gauss = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * gauss));
  }
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

function simulate() {
  const random = seeded(2026);
  const regions = Object.values(ISOLATES_PER_REGION);
  const total = regions.reduce((a, b) => a + b, 0);
  const isolates: Isolate[] = [];
  const locations: Location[] = [];
  regions.forEach((count, region) => {
    const here = Array.from({ length: Math.max(1, Math.round((count / total) * LOCATIONS)) }, () => ({
      poolFetchedAt: null,
      configFetchedAt: -random() * CALL_CEILING_MS,
    }));
    locations.push(...here);
    for (let i = 0; i < count; i++) {
      const rate = 10 ** (random() * 3);
      // Random phases: every isolate has run for a while and last reported in the last 30 s.
      const average = new InflightAverage();
      const steady = Math.round(rate * LATENCY_S);
      average.set(steady, -60_000);
      isolates.push({
        id: `isolate-${isolates.length}`,
        region,
        location: here[i % here.length]!,
        rate,
        pool: new ReadCadence(undefined, random),
        configHeardAt: -random() * CALL_CEILING_MS,
        lastSentAt: -random() * CALL_CEILING_MS,
        counters: false,
        inflight: steady,
        average,
        sentAverage: steady,
        reported: steady,
      });
    }
  });
  const aggregates = regions.map(() => new ReportAggregate());
  const aggregatorMeters = regions.map(() => new Meter());
  const poolState = new Meter();
  const configStore = new Meter();
  const poolTable = new InflightTable();
  let requests = 0;
  let isolateCalls = 0;
  const errors: { truth: number; seen: number }[] = [];
  /** Whether the PoolState, in auto mode, would say aggregated after each measured second. */
  const automatic: boolean[] = [];
  let aggregated = false;

  const forward = (region: number, now: number) => {
    const forwarded = aggregates[region]!.take(`aggregator:${region}`, now);
    poolState.hit(now);
    const figures: Record<string, number> = {};
    for (const [name, count] of forwarded.inflight) figures[name] = count;
    poolTable.record(forwarded.report.isolateId, now, figures, now, forwarded.report.isolates);
    aggregates[region]!.accepted(forwarded, {
      pool: "p",
      version: 1,
      healthy: true,
      healthyOrigins: 1,
      origins: {},
      at: now,
    });
  };
  /** One call of an isolate for the pool: its report, answered by the snapshot it shares. */
  const reasons: Record<string, number> = { read: 0, moved: 0, held: 0, counters: 0 };
  const callPool = (isolate: Isolate, now: number, reason: string) => {
    if (now >= WARMUP_MS) {
      reasons[reason] = (reasons[reason] ?? 0) + 1;
      isolateCalls++;
    }
    aggregatorMeters[isolate.region]!.hit(now);
    const report: HealthReport = {
      isolateId: isolate.id,
      sentAt: now,
      origins: { o: { inflight: isolate.inflight, requests: 1, failures: 0, consecutiveFailures: 0 } },
    };
    const aggregate = aggregates[isolate.region]!;
    aggregate.add(normalizeReport(report, () => true)!, null, now);
    if (aggregate.snapshot === undefined || aggregate.forwardNow(now)) forward(isolate.region, now);
    isolate.lastSentAt = now;
    isolate.counters = false;
    isolate.reported = isolate.inflight;
    isolate.sentAverage = isolate.average.value(now);
    isolate.pool.succeeded(now);
    isolate.location.poolFetchedAt = now;
  };

  // What the aggregators heard from each isolate's last report before the simulation starts.
  for (const isolate of isolates) {
    const report: HealthReport = {
      isolateId: isolate.id,
      sentAt: isolate.lastSentAt,
      origins: { o: { inflight: isolate.reported, requests: 0, failures: 0, consecutiveFailures: 0 } },
    };
    aggregates[isolate.region]!.add(normalizeReport(report, () => true)!, null, isolate.lastSentAt);
  }
  for (let now = 0; now < SPAN_MS; now += STEP_MS) {
    for (const isolate of isolates) {
      const n = poisson((isolate.rate * STEP_MS) / 1000, random);
      isolate.inflight = poisson(isolate.rate * LATENCY_S, random);
      isolate.average.set(isolate.inflight, now);
      if (n === 0) continue;
      if (now >= WARMUP_MS) requests += n;
      isolate.pool.meter.note(n, now);
      // Counters to send. The 0.2 % failures are news only once an origin fails `consecutiveFailures`
      // (5) times in a row here and is ejected: (0.002)^5 per request, none in this span.
      isolate.counters = true;
      // The configuration: read when the location's copy is older than the ceiling (no changes here).
      if (now - isolate.configHeardAt >= CALL_CEILING_MS) {
        const location = isolate.location;
        const decision = decideLook(
          isolate.configHeardAt,
          { fetchedAt: location.configFetchedAt, claimedUntil: null },
          CALL_CEILING_MS,
          now,
        );
        if (decision.adopt) isolate.configHeardAt = location.configFetchedAt!;
        if (decision.call) {
          configStore.hit(now);
          if (now >= WARMUP_MS) isolateCalls++;
          isolate.configHeardAt = now;
          location.configFetchedAt = now;
        }
      }
      // The pool's snapshot: due by this isolate's traffic, then the location's copy first.
      const cadence = isolate.pool;
      if (cadence.due(now)) {
        const look = { fetchedAt: isolate.location.poolFetchedAt, claimedUntil: null };
        const decision = decideLook(cadence.heardAt, look, cadence.intervalMs(now), now);
        if (decision.adopt) cadence.heardAt = look.fetchedAt!;
        if (decision.call) {
          callPool(isolate, now, "read");
          continue;
        }
      }
      // The isolate's own news.
      const news = {
        urgent: false,
        counters: isolate.counters,
        usesInflight: true,
        inflightMoved: outOfBand(isolate.average.value(now), isolate.sentAverage),
        inflightHeld: isolate.reported > 0,
      };
      const due = reportDueAt(news, isolate.lastSentAt);
      if (due !== null && due <= now) {
        callPool(isolate, now, news.inflightMoved ? "moved" : news.inflightHeld ? "held" : "counters");
      }
    }
    aggregates.forEach((aggregate, region) => {
      const due = aggregate.dueAt(now);
      if (due !== null && due <= now) forward(region, now);
    });
    if (now >= WARMUP_MS && now % 1000 === 0) {
      const truth = isolates.reduce((sum, isolate) => sum + isolate.inflight, 0);
      errors.push({ truth, seen: poolTable.totals(now).get("o") ?? 0 });
      aggregated = nextAggregated("auto", aggregated, poolTable.isolates(now));
      automatic.push(aggregated);
    }
  }
  const seconds = (SPAN_MS - WARMUP_MS) / 1000;
  return {
    isolates: isolates.length,
    locations: locations.length,
    requestsPerSecond: requests / seconds,
    isolateCallsPerSecond: isolateCalls / seconds,
    poolState,
    configStore,
    aggregatorMeters,
    errors,
    reasons,
    automatic,
    reporting: poolTable.isolates(SPAN_MS),
  };
}

describe("Durable Object load at the documented scale (22,000 isolates, ~300 locations)", () => {
  const result = simulate();
  const totalCalls = result.isolateCallsPerSecond + result.poolState.mean;
  const busiestAggregator = Math.max(...result.aggregatorMeters.map((meter) => meter.peak));
  const meanTruth = result.errors.reduce((sum, e) => sum + e.truth, 0) / result.errors.length;
  const meanError =
    result.errors.reduce((sum, e) => sum + Math.abs(e.seen - e.truth), 0) / result.errors.length;
  // The figures docs/scale.md quotes, printed on request (`SCALE_REPORT=1`).
  if (process.env.SCALE_REPORT)
    console.log(
      JSON.stringify({
        isolates: result.isolates,
        locations: result.locations,
        requestsPerSecond: Math.round(result.requestsPerSecond),
        configStore: { mean: Math.round(result.configStore.mean), peak: result.configStore.peak },
        poolState: { mean: Math.round(result.poolState.mean), peak: result.poolState.peak },
        busiestAggregatorPeak: busiestAggregator,
        isolateCallsByReason: result.reasons,
        directPoolStateIfUnaggregated: Math.round(result.isolateCallsPerSecond - result.configStore.mean),
        callsPer1000Requests: Number(((totalCalls / result.requestsPerSecond) * 1000).toFixed(3)),
        inflight: {
          meanTruth: Math.round(meanTruth),
          meanErrorPercent: Number(((meanError / meanTruth) * 100).toFixed(2)),
        },
      }),
    );

  it("keeps the ConfigStore at or under 300 calls per second", () => {
    expect(result.locations).toBeGreaterThanOrEqual(290);
    expect(result.configStore.peak).toBeLessThanOrEqual(300);
  });

  it("keeps the pool's PoolState at or under 300 calls per second", () => {
    expect(result.poolState.peak).toBeLessThanOrEqual(300);
  });

  it("keeps every regional aggregator at or under 500 calls per second", () => {
    expect(busiestAggregator).toBeLessThanOrEqual(500);
  });

  it("makes at most one Durable Object call per 1,000 requests in all", () => {
    expect(result.requestsPerSecond).toBeGreaterThan(1_000_000);
    expect(totalCalls / result.requestsPerSecond).toBeLessThanOrEqual(1 / 1000);
  });

  it("keeps the global in-flight sum within 10 % of the truth", () => {
    expect(result.errors.length).toBeGreaterThanOrEqual(25);
    expect(meanTruth).toBeGreaterThan(100_000);
    expect(meanError / meanTruth).toBeLessThanOrEqual(0.1);
  });

  it("stays aggregated in auto mode: the aggregators speak for every isolate", () => {
    expect(result.reporting).toBeGreaterThan(AGGREGATE_ON_ABOVE);
    expect(result.reporting).toBeLessThanOrEqual(result.isolates);
    expect(result.automatic.length).toBeGreaterThanOrEqual(25);
    expect(result.automatic.every((on) => on)).toBe(true);
  });
});
