/**
 * A configured pool, its real PoolState and the ReportAggregator of one region, on one test clock;
 * both objects are reset after each test of the file that calls `resetAfterEach`.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { afterEach } from "vitest";
import type { PoolState } from "../../../../durable-objects/pool-state/index.ts";
import type { ReportAggregator } from "../../../../durable-objects/report-aggregator/index.ts";
import { aggregatorName, aggregatorReporterId } from "../../../../worker/health/aggregate.ts";
import { makePool, ORIGIN, poolStateWithClock, TestClock } from "../pool-state/fixtures.ts";

const used: { pool: DurableObjectStub<PoolState>; aggregator: DurableObjectStub<ReportAggregator> }[] = [];

/** Unconfigures the pools and stops the aggregators' alarms that `poolWithAggregator` made. */
export function resetAfterEach(): void {
  afterEach(async () => {
    for (const { pool, aggregator } of used.splice(0)) {
      await pool.configure(null);
      await runInDurableObject(aggregator, (_instance: ReportAggregator, state) =>
        state.storage.deleteAlarm(),
      );
    }
  });
}

/**
 * A pool configured with `input` (one origin `a` unless it says otherwise), its PoolState and the
 * aggregator of `region`, all on one clock.
 * @example const { clock, id, pool, aggregator } = await poolWithAggregator("EU");
 */
export async function poolWithAggregator(region: string, input: Parameters<typeof makePool>[1] = {}) {
  const clock = new TestClock();
  const { id, stub: pool } = await poolStateWithClock(clock);
  await pool.configure(makePool(id, { origins: [{ name: "a", address: ORIGIN }], ...input }));
  const name = aggregatorName(id, region);
  const aggregator = env.REPORT_AGGREGATOR.getByName(name);
  await runInDurableObject(aggregator, (instance: ReportAggregator) => {
    (instance as unknown as { now: () => number }).now = () => clock.t;
  });
  used.push({ pool, aggregator });
  const reporterId = aggregatorReporterId(env.REPORT_AGGREGATOR.idFromName(name).toString());
  return { clock, id, pool, aggregator, reporterId };
}
