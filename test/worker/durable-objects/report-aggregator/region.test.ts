/**
 * The region an isolate reports in: the continent of the first request that names one, kept for
 * the isolate's life (worker/edge/report-region.ts). Its own file, so that no earlier request of
 * this isolate has named a continent yet.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { PoolState } from "../../../../durable-objects/pool-state/index.ts";
import type { ReportAggregator } from "../../../../durable-objects/report-aggregator/index.ts";
import { callPool } from "../../../../worker/edge/reports.ts";
import type { Env } from "../../../../worker/env.ts";
import { configurePoolState, installPools } from "../../edge/support.ts";
import { ORIGIN, send } from "../../proxy/support.ts";

const configured: DurableObjectStub<PoolState>[] = [];
const aggregators: DurableObjectStub<ReportAggregator>[] = [];

afterEach(async () => {
  for (const stub of configured.splice(0)) await stub.configure(null);
  for (const stub of aggregators.splice(0)) {
    await runInDurableObject(stub, (_instance: ReportAggregator, state) => state.storage.deleteAlarm());
  }
});

describe("the aggregation region", () => {
  it("is the continent of the first request that names one", async () => {
    const [pool] = installPools(
      [{ id: "agg-region", origins: [{ name: "a", address: ORIGIN }] }],
      [{ id: "agg-region", hostname: "agg-region.test", pools: ["agg-region"] }],
    );
    configured.push(await configurePoolState(pool!));
    const names: string[] = [];
    const namespace = {
      getByName: (name: string) => {
        names.push(name);
        const stub = env.REPORT_AGGREGATOR.getByName(name);
        aggregators.push(stub);
        return stub;
      },
    } as unknown as Env["REPORT_AGGREGATOR"];
    const bindings: Env = { ...env, REPORT_AGGREGATION: "region", REPORT_AGGREGATOR: namespace };
    const from = (continent: string | undefined) =>
      continent === undefined ? {} : { cf: { continent } as IncomingRequestCfProperties };
    // After each request, one call for the pool: the first request's own (its cold read) went too.
    for (const continent of [undefined, "EU", "AS", undefined]) {
      const response = await send("http://agg-region.test/", from(continent), bindings);
      expect(response.status).toBe(200);
      await response.body?.cancel();
      await callPool(bindings, "agg-region", Date.now());
    }
    // Before any request named a continent the isolate reported as XX; from the first, as EU.
    expect(names).toEqual([
      "agg-region@XX",
      "agg-region@XX",
      "agg-region@EU",
      "agg-region@EU",
      "agg-region@EU",
    ]);
  });
});
