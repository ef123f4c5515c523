/**
 * Automatic aggregation (`REPORT_AGGREGATION` unset): the PoolState announces `aggregated` in its
 * snapshot once more than 500 isolates report to it, and an edge that gets that snapshot moves its
 * reports, in-flight figures included, to its region's aggregator; back again once fewer than 300
 * report. The in-flight sum counts every isolate once across both switches.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { PoolState } from "../../../../durable-objects/pool-state/index.ts";
import { reportsAggregated, sendPoolReport } from "../../../../worker/edge/report-region.ts";
import type { Env } from "../../../../worker/env.ts";
import { AGGREGATE_INTERVAL_MS, UNKNOWN_REGION } from "../../../../worker/health/aggregate.ts";
import { AGGREGATE_ON_ABOVE } from "../../../../worker/health/aggregation-mode.ts";
import { INFLIGHT_STALE_MS } from "../../../../worker/health/inflight.ts";
import type { HealthReport } from "../../../../worker/health/types.ts";
import type { TestClock } from "../pool-state/fixtures.ts";
import { poolWithAggregator, resetAfterEach } from "./fixtures.ts";

resetAfterEach();

function inflightReport(clock: TestClock, isolateId: string, inflight: number): HealthReport {
  const origins = { a: { inflight, requests: 0, failures: 0, consecutiveFailures: 0 } };
  return { isolateId, sentAt: clock.t, origins };
}

describe("automatic aggregation", () => {
  it("switches a pool's reports to the aggregator above 500 isolates and back below 300, counting each once", async () => {
    const { clock, id, pool, aggregator } = await poolWithAggregator(UNKNOWN_REGION);
    let direct = 0;
    const bindings: Env = {
      ...env,
      POOL_STATE: {
        getByName: (name: string) => {
          const stub = env.POOL_STATE.getByName(name);
          return {
            report: (...args: Parameters<PoolState["report"]>) => {
              direct++;
              return stub.report(...args);
            },
          };
        },
      } as unknown as Env["POOL_STATE"],
    };
    delete bindings.REPORT_AGGREGATION;

    // 500 other isolates report one request in flight each, straight to the PoolState.
    for (let i = 0; i < AGGREGATE_ON_ABOVE; i++) await pool.report(inflightReport(clock, `other-${i}`, 1));
    const before = await pool.snapshot();
    expect(before?.aggregated).toBeUndefined();
    expect(before?.origins.a?.inflight).toBe(500);

    // This isolate's report is the 501st: the answer says aggregated, and its figures move.
    clock.advance(10);
    const answer = await sendPoolReport(bindings, id, inflightReport(clock, "edge", 2), undefined);
    expect(answer?.aggregated).toBe(true);
    expect(reportsAggregated(id)).toBe(true);
    expect(direct).toBe(2); // the report, then the clearing of its figures there
    const switched = await pool.snapshot();
    expect(switched?.aggregated).toBe(true);
    expect(switched?.origins.a?.inflight).toBe(502);

    // Its next report goes to the aggregator only, and reaches the PoolState once.
    clock.advance(AGGREGATE_INTERVAL_MS);
    await sendPoolReport(bindings, id, inflightReport(clock, "edge", 3), undefined);
    expect(direct).toBe(2);
    clock.advance(AGGREGATE_INTERVAL_MS);
    await runDurableObjectAlarm(aggregator);
    expect((await pool.snapshot())?.origins.a?.inflight).toBe(503);

    // The others fall silent: the next forward brings an answer that turns aggregation off.
    clock.advance(INFLIGHT_STALE_MS + 1);
    const back = await sendPoolReport(bindings, id, inflightReport(clock, "edge", 3), undefined);
    expect(back?.aggregated).toBeUndefined();
    expect(reportsAggregated(id)).toBe(false);
    expect(direct).toBe(3); // its figures, moved back
    clock.advance(AGGREGATE_INTERVAL_MS);
    await runDurableObjectAlarm(aggregator);
    const after = await pool.snapshot();
    expect(after?.aggregated).toBeUndefined();
    expect(after?.origins.a?.inflight).toBe(3);
  });
});
