/**
 * The ReportAggregator inside workerd, driven directly as the isolates of one region would, with the
 * pool's real PoolState behind it. Both objects read the same test clock.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ReportAggregator } from "../../../../durable-objects/report-aggregator/index.ts";
import type { Env } from "../../../../worker/env.ts";
import {
  AGGREGATE_HEARTBEAT_MS,
  AGGREGATE_INTERVAL_MS,
  AGGREGATE_URGENT_GAP_MS,
  aggregatorName,
} from "../../../../worker/health/aggregate.ts";
import { INFLIGHT_STALE_MS } from "../../../../worker/health/inflight.ts";
import type { HealthReport, OriginReport } from "../../../../worker/health/types.ts";
import type { MetricsDelta } from "../../../../worker/metrics/series.ts";
import { type makePool, ORIGIN, TestClock } from "../pool-state/fixtures.ts";
import { poolWithAggregator, resetAfterEach } from "./fixtures.ts";

resetAfterEach();

const twoOrigins = [
  { name: "a", address: ORIGIN },
  { name: "b", address: `${ORIGIN}/b` },
];

/** A configured pool of two origins, its PoolState and the aggregator of region `EU`, on one clock. */
function setup(input: Parameters<typeof makePool>[1] = {}) {
  return poolWithAggregator("EU", { origins: twoOrigins, ...input });
}

function report(
  clock: TestClock,
  isolateId: string,
  origins: Record<string, Partial<OriginReport>>,
): HealthReport {
  const full: Record<string, OriginReport> = {};
  for (const [name, figures] of Object.entries(origins)) {
    full[name] = { inflight: 0, requests: 0, failures: 0, consecutiveFailures: 0, ...figures };
  }
  return { isolateId, sentAt: clock.t, origins: full };
}

/** The message a call was refused with; null when it was answered. */
async function refusal(call: Promise<unknown>): Promise<string | null> {
  try {
    await call;
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function requestsDelta(pool: string, origin: string, value: number): MetricsDelta {
  return {
    counters: [
      {
        name: "edge_lb_requests_total",
        labels: { load_balancer: "www", pool, origin, status_class: "2xx" },
        value,
      },
    ],
    histograms: [],
  };
}

describe("ReportAggregator", () => {
  it("reports three isolates to the PoolState as one reporter whose in-flight is their sum", async () => {
    const { clock, id, pool, aggregator, reporterId } = await setup();
    await aggregator.report(id, report(clock, "iso-1", { a: { inflight: 3 } }));
    clock.advance(AGGREGATE_INTERVAL_MS);
    await aggregator.report(id, report(clock, "iso-2", { a: { inflight: 5 }, b: { inflight: 1 } }));
    clock.advance(AGGREGATE_INTERVAL_MS);
    const answer = await aggregator.report(id, report(clock, "iso-3", { a: { inflight: 7 } }));
    expect(answer!.origins.a!.inflight).toBe(15);
    expect((await pool.health())!.origins.map((o) => [o.name, o.inflight])).toEqual([
      ["a", 15],
      ["b", 1],
    ]);
    // All 16 belong to the aggregator's one id: a newer report under it replaces every one of them.
    clock.advance(1);
    await pool.report(report(clock, reporterId, {}));
    expect((await pool.health())!.origins.map((o) => o.inflight)).toEqual([0, 0]);
  });

  it("holds other news for the interval, then forwards it on its alarm", async () => {
    const { clock, id, pool, aggregator } = await setup();
    await aggregator.report(id, report(clock, "iso-1", { a: { inflight: 2 } }));
    clock.advance(10);
    await aggregator.report(id, report(clock, "iso-2", { a: { inflight: 4, requests: 3 } }));
    expect((await pool.health())!.origins[0]!.inflight).toBe(2);
    clock.advance(AGGREGATE_INTERVAL_MS);
    expect(await runDurableObjectAlarm(aggregator)).toBe(true);
    expect((await pool.health())!.origins[0]!.inflight).toBe(6);
  });

  it("passes failures that eject an origin on to the PoolState at once", async () => {
    const { clock, id, pool, aggregator } = await setup({
      passiveHealth: { consecutiveFailures: 3, ejectionSeconds: 30 },
    });
    await aggregator.report(id, report(clock, "iso-1", { a: { requests: 4 } }));
    clock.advance(AGGREGATE_URGENT_GAP_MS);
    const answer = await aggregator.report(
      id,
      report(clock, "iso-2", { a: { requests: 3, failures: 3, consecutiveFailures: 3 } }),
    );
    expect(answer!.origins.a).toMatchObject({ state: "ejected", ejectedUntil: clock.t + 30_000 });
    const health = await pool.health();
    expect(health!.origins[0]).toMatchObject({ name: "a", state: "ejected" });
    const events = await pool.events(10);
    expect(events.filter((e) => e.kind === "origin_ejected").map((e) => e.subject)).toEqual([`${id}/a`]);
  });

  it("merges failure streaks of several isolates as the PoolState would", async () => {
    const { clock, id, pool, aggregator } = await setup({
      passiveHealth: { consecutiveFailures: 5, ejectionSeconds: 30 },
    });
    await aggregator.report(id, report(clock, "iso-1", { a: { requests: 1 } }));
    const failures = (n: number) => ({ a: { requests: n, failures: n, consecutiveFailures: n } });
    // iso-2's failures go on at once; iso-3's, right behind them, wait for the short gap and the
    // PoolState adds them to the streak.
    clock.advance(AGGREGATE_URGENT_GAP_MS);
    await aggregator.report(id, report(clock, "iso-2", failures(2)));
    clock.advance(1);
    await aggregator.report(id, report(clock, "iso-3", failures(3)));
    expect((await pool.health())!.origins[0]!.state).toBe("healthy");
    clock.advance(AGGREGATE_URGENT_GAP_MS);
    expect(await runDurableObjectAlarm(aggregator)).toBe(true);
    expect((await pool.health())!.origins[0]!.state).toBe("ejected");
  });

  it("answers every isolate with the PoolState's snapshot", async () => {
    const { clock, id, pool, aggregator } = await setup();
    const forwarded = await aggregator.report(id, report(clock, "iso-1", { b: { inflight: 2 } }));
    expect(forwarded).toEqual(await pool.snapshot());
    clock.advance(20);
    // Held for the interval: the answer is the PoolState's snapshot of the last forward.
    const held = await aggregator.report(id, report(clock, "iso-2", { b: { inflight: 1 } }));
    expect(held).toEqual(forwarded);
    expect(held!.origins.b!.inflight).toBe(2);
  });

  it("sums the isolates' metrics deltas into the PoolState's totals", async () => {
    const { clock, id, pool, aggregator } = await setup();
    await aggregator.report(id, report(clock, "iso-1", { a: { requests: 3 } }), requestsDelta(id, "a", 3));
    clock.advance(10);
    await aggregator.report(id, report(clock, "iso-2", { a: { requests: 4 } }), requestsDelta(id, "a", 4));
    clock.advance(10);
    await aggregator.report(id, report(clock, "iso-3", { a: { requests: 5 } }), requestsDelta(id, "a", 5));
    clock.advance(AGGREGATE_INTERVAL_MS);
    await runDurableObjectAlarm(aggregator);
    const metrics = await pool.metrics();
    const requests = metrics!.counters.find((c) => c.name === "edge_lb_requests_total");
    expect(requests?.value).toBe(12);
  });

  it("keeps the PoolState counting while requests are in flight and drops an isolate gone silent", async () => {
    const { clock, id, pool, aggregator } = await setup();
    const inflight = () => pool.health().then((health) => health!.origins[0]!.inflight);
    await aggregator.report(id, report(clock, "iso-1", { a: { inflight: 3 } }));
    clock.advance(10);
    await aggregator.report(id, report(clock, "iso-2", { a: { inflight: 5 } }));
    clock.advance(AGGREGATE_INTERVAL_MS);
    await runDurableObjectAlarm(aggregator);
    // Unchanged figures, as edges re-send them while requests are in flight: the aggregator's
    // heartbeats keep the PoolState counting them well past its 5 s limit.
    for (let i = 0; i < 5; i++) {
      clock.advance(AGGREGATE_HEARTBEAT_MS);
      await aggregator.report(id, report(clock, "iso-1", { a: { inflight: 3 } }));
      await aggregator.report(id, report(clock, "iso-2", { a: { inflight: 5 } }));
      expect(await inflight()).toBe(8);
    }
    // iso-1 goes silent; once it is stale here, the PoolState stops counting it.
    for (let t = 0; t <= INFLIGHT_STALE_MS; t += AGGREGATE_HEARTBEAT_MS) {
      clock.advance(AGGREGATE_HEARTBEAT_MS);
      await aggregator.report(id, report(clock, "iso-2", { a: { inflight: 5 } }));
    }
    expect(await inflight()).toBe(5);
  });

  it("refuses reports while the PoolState cannot be reached, and delivers each count once", async () => {
    const { clock, id, pool, aggregator } = await setup({ passiveHealth: { consecutiveFailures: 10 } });
    const poolStateOf = (namespace: unknown) =>
      runInDurableObject(aggregator, (instance: ReportAggregator) => {
        const target = instance as unknown as { env: Env };
        target.env = { ...target.env, POOL_STATE: namespace as Env["POOL_STATE"] };
      });
    const failed = (n: number) => ({ a: { requests: n, failures: n, consecutiveFailures: n } });
    await aggregator.report(id, report(clock, "iso-1", { a: { requests: 3 } }), requestsDelta(id, "a", 3));
    clock.advance(10);
    // Held for the interval: answered, so the aggregator owns these counts from now on.
    expect(
      await aggregator.report(id, report(clock, "iso-2", { b: { requests: 5 } }), requestsDelta(id, "b", 5)),
    ).not.toBeNull();
    await poolStateOf({
      getByName: () => ({ report: () => Promise.reject(new Error("PoolState unreachable")) }),
    });
    clock.advance(AGGREGATE_URGENT_GAP_MS);
    expect(
      await refusal(aggregator.report(id, report(clock, "iso-3", failed(2)), requestsDelta(id, "a", 2))),
    ).toMatch(/unreachable/);
    clock.advance(10);
    expect(await refusal(aggregator.report(id, report(clock, "iso-1", { a: { requests: 1 } })))).toMatch(
      /cannot be reached/,
    );
    await poolStateOf(env.POOL_STATE);
    clock.advance(30_000);
    // iso-3 sends its refused report again, as an isolate does after a failed report.
    await aggregator.report(id, report(clock, "iso-3", failed(2)), requestsDelta(id, "a", 2));
    const health = await pool.health();
    expect(health!.origins[0]!.consecutiveFailures).toBe(2);
    const metrics = await pool.metrics();
    const requests = metrics!.counters
      .filter((c) => c.name === "edge_lb_requests_total")
      .map((c) => [c.labels.origin, c.value]);
    expect(requests).toEqual([
      ["a", 5],
      ["b", 5],
    ]);
  });

  it("answers null for a pool the PoolState does not know", async () => {
    const clock = new TestClock();
    const aggregator = env.REPORT_AGGREGATOR.getByName(aggregatorName("no-such-pool", "EU"));
    expect(
      await aggregator.report("no-such-pool", report(clock, "iso-1", { a: { requests: 1 } })),
    ).toBeNull();
  });
});
