/**
 * The arithmetic of docs/scale.md, checked by simulation: how many calls per second reach a pool's
 * PoolState DO when every isolate reports directly, and when reports go through regional aggregators;
 * and how far the global in-flight sum seen through two levels of batching is from the truth.
 * Deterministic (seeded), bounded in size, no timers: simulated time only.
 */
import { describe, expect, it } from "vitest";
import { InflightTable } from "../../../worker/health/inflight.ts";
import { seeded } from "../../helpers/seeded-random.ts";

/**
 * The edges' report interval, `REPORT_INTERVAL_MS` of worker/edge/reports.ts (that module reaches the
 * Workers runtime types through its bindings, so plain Node tests restate the figure).
 */
const REPORT_INTERVAL_MS = 300;
/** What one Durable Object handles, per docs/scale.md. */
const DO_CAPACITY = 1000;
/** What an aggregator shard is planned for: half the capacity, leaving room for bursts and reads. */
const SHARD_BUDGET = 500;
/** The figures docs/scale.md quotes for the edges' report interval (`REPORT_INTERVAL_MS`, 300 ms). */
const EXPECTED_SHARDS = 150;
const DIRECT_LIMIT = 240;
/**
 * How often a shard forwards its sum in the sharded plan simulated here. The aggregators that exist
 * (one per pool and continent, unsharded) forward every `AGGREGATE_INTERVAL_MS` of
 * worker/health/aggregate.ts, 300 ms; test/unit/health/aggregate-load.test.ts measures them.
 */
const AGGREGATE_INTERVAL_MS = 500;

/**
 * Active isolates of one busy pool per region, 22,000 in all. Regions are the Durable Object
 * location hints, so each region's aggregators can be placed in it.
 */
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

/** Shards a region needs so that none receives more than `SHARD_BUDGET` reports per second. */
function shardsFor(isolates: number): number {
  return Math.max(1, Math.ceil((isolates * (1000 / REPORT_INTERVAL_MS)) / SHARD_BUDGET));
}

/** Per-second call counts of one DO over the simulated span. */
class Meter {
  readonly seconds: number[];
  constructor(span: number) {
    this.seconds = new Array(span).fill(0);
  }
  hit(atMs: number): void {
    const second = Math.floor(atMs / 1000);
    if (second < this.seconds.length) this.seconds[second]!++;
  }
  get peak(): number {
    return Math.max(...this.seconds);
  }
  get mean(): number {
    return this.seconds.reduce((a, b) => a + b, 0) / this.seconds.length;
  }
}

interface LoadResult {
  direct: Meter;
  pool: Meter;
  aggregators: Meter[];
  shards: number;
}

/**
 * Every isolate gets a request rate (most isolates are busy, some nearly idle) and a random phase;
 * at each report tick it reports only if a request arrived or was in flight during the interval.
 */
function simulateLoad(spanSeconds: number, random: () => number): LoadResult {
  const direct = new Meter(spanSeconds);
  const pool = new Meter(spanSeconds);
  const aggregators: Meter[] = [];
  let shards = 0;
  for (const isolates of Object.values(ISOLATES_PER_REGION)) {
    const regionShards = shardsFor(isolates);
    shards += regionShards;
    const meters = Array.from({ length: regionShards }, () => new Meter(spanSeconds));
    aggregators.push(...meters);
    const reported = meters.map(() => new Set<number>());
    for (let i = 0; i < isolates; i++) {
      // Requests per second of this isolate: 1 to ~1,000, log-uniform.
      const rate = 10 ** (random() * 3);
      const active = 1 - Math.exp(-rate * (REPORT_INTERVAL_MS / 1000));
      const phase = random() * REPORT_INTERVAL_MS;
      const shard = i % regionShards;
      for (let at = phase; at < spanSeconds * 1000; at += REPORT_INTERVAL_MS) {
        if (random() >= active) continue;
        direct.hit(at);
        meters[shard]!.hit(at);
        reported[shard]!.add(Math.floor(at / AGGREGATE_INTERVAL_MS));
      }
    }
    // Each shard forwards once per aggregate interval in which it heard from any isolate.
    reported.forEach((intervals, shard) => {
      const offset = ((shard + 1) * 37) % AGGREGATE_INTERVAL_MS;
      for (const interval of intervals) pool.hit(interval * AGGREGATE_INTERVAL_MS + offset);
    });
  }
  return { direct, pool, aggregators, shards };
}

describe("PoolState load at internet scale", () => {
  const span = 10;
  const result = simulateLoad(span, seeded(42));
  const isolates = Object.values(ISOLATES_PER_REGION).reduce((a, b) => a + b, 0);

  it("is far over one DO's capacity when every isolate reports directly", () => {
    // Arithmetic: isolates × reports per second × share of intervals with traffic.
    const perIsolate = 1000 / REPORT_INTERVAL_MS;
    expect(result.direct.mean).toBeLessThanOrEqual(isolates * perIsolate);
    expect(result.direct.mean).toBeGreaterThan(isolates * perIsolate * 0.8);
    expect(result.direct.peak).toBeGreaterThan(30 * DO_CAPACITY);
    // Direct reporting stays under 80 % of a DO up to this many active isolates per pool.
    expect(Math.floor((0.8 * DO_CAPACITY) / perIsolate)).toBe(DIRECT_LIMIT);
  });

  it("stays well under capacity with regional aggregation, at the pool's DO and at every shard", () => {
    // Arithmetic: one shard per SHARD_BUDGET reports per second of a region, each forwarding every Ra.
    const expected = Object.values(ISOLATES_PER_REGION).reduce((sum, n) => sum + shardsFor(n), 0);
    expect(result.shards).toBe(expected);
    expect(result.shards).toBe(EXPECTED_SHARDS);
    expect(result.pool.peak).toBeLessThanOrEqual(result.shards * (1000 / AGGREGATE_INTERVAL_MS));
    expect(result.pool.peak).toBeLessThanOrEqual(0.4 * DO_CAPACITY);
    for (const shard of result.aggregators) expect(shard.peak).toBeLessThan(DO_CAPACITY);
    const busiest = Math.max(...result.aggregators.map((shard) => shard.mean));
    expect(busiest).toBeLessThanOrEqual(SHARD_BUDGET);
  });

  it("grows with the number of shards, not with the traffic", () => {
    const once = shardsFor(ISOLATES_PER_REGION.enam!);
    const doubled = shardsFor(2 * ISOLATES_PER_REGION.enam!);
    expect(doubled).toBeLessThanOrEqual(2 * once);
    expect(doubled).toBeGreaterThanOrEqual(2 * once - 1);
    // A quiet region still costs one shard at most twice a second.
    expect(shardsFor(3)).toBe(1);
  });
});

describe("the global in-flight sum through isolate and regional batching", () => {
  /**
   * 3 regions × 10 isolates, requests arriving at 40/s per isolate and lasting 100 ms on average
   * (exponential): about 4 in flight per isolate, 120 in all. Simulated in 1 ms steps for 6 s.
   */
  function simulateSum() {
    const random = seeded(7);
    const regions = 3;
    const perRegion = 10;
    const ratePerMs = 40 / 1000;
    const meanServiceMs = 100;
    const isolates = Array.from({ length: regions * perRegion }, (_, i) => ({
      id: `isolate-${i}`,
      region: Math.floor(i / perRegion),
      phase: Math.floor(random() * REPORT_INTERVAL_MS),
      ends: [] as number[],
      history: [] as number[],
    }));
    const aggregators = Array.from({ length: regions }, (_, r) => ({
      id: `region-${r}`,
      table: new InflightTable(),
      phase: Math.floor(random() * AGGREGATE_INTERVAL_MS),
    }));
    const pool = new InflightTable();
    const samples: { seen: number; truth: number; low: number; high: number }[] = [];
    const window = REPORT_INTERVAL_MS + AGGREGATE_INTERVAL_MS;
    for (let now = 0; now < 6000; now++) {
      for (const isolate of isolates) {
        isolate.ends = isolate.ends.filter((end) => end > now);
        if (random() < ratePerMs)
          isolate.ends.push(now + Math.max(1, -Math.log(1 - random()) * meanServiceMs));
        isolate.history.push(isolate.ends.length);
        if ((now - isolate.phase) % REPORT_INTERVAL_MS === 0 && now >= isolate.phase) {
          aggregators[isolate.region]!.table.record(isolate.id, now, { o: isolate.ends.length }, now);
        }
      }
      for (const aggregator of aggregators) {
        if ((now - aggregator.phase) % AGGREGATE_INTERVAL_MS === 0 && now >= aggregator.phase) {
          pool.record(aggregator.id, now, { o: aggregator.table.totals(now).get("o") ?? 0 }, now);
        }
      }
      if (now >= 1500 && now % 50 === 0) {
        let truth = 0;
        let low = 0;
        let high = 0;
        for (const isolate of isolates) {
          const recent = isolate.history.slice(Math.max(0, now - window));
          truth += isolate.ends.length;
          low += Math.min(...recent);
          high += Math.max(...recent);
        }
        samples.push({ seen: pool.totals(now).get("o") ?? 0, truth, low, high });
      }
    }
    return samples;
  }

  const samples = simulateSum();

  it("always lies between the lowest and highest true counts of the last report + aggregate interval", () => {
    expect(samples.length).toBeGreaterThan(80);
    for (const sample of samples) {
      expect(sample.seen).toBeGreaterThanOrEqual(sample.low);
      expect(sample.seen).toBeLessThanOrEqual(sample.high);
    }
  });

  it("is within 25 % of the true in-flight count on average", () => {
    const meanTruth = samples.reduce((sum, s) => sum + s.truth, 0) / samples.length;
    const meanError = samples.reduce((sum, s) => sum + Math.abs(s.seen - s.truth), 0) / samples.length;
    expect(meanTruth).toBeGreaterThan(90);
    expect(meanTruth).toBeLessThan(150);
    expect(meanError / meanTruth).toBeLessThan(0.25);
  });
});
