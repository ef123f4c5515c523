/**
 * Where the Worker sends its pool reports: with `REPORT_AGGREGATION = "region"` to the
 * ReportAggregator of the pool and region (`XX` here: requests in tests carry no continent), which
 * brings them to the PoolState; unset, straight to the PoolState as before. The setting is read at
 * every send, so a pool's reports follow the bindings of the request that sends them.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { PoolState } from "../../../../durable-objects/pool-state/index.ts";
import type { ReportAggregator } from "../../../../durable-objects/report-aggregator/index.ts";
import type { Env } from "../../../../worker/env.ts";
import { configurePoolState, eventually, installPools } from "../../edge/support.ts";
import { ORIGIN, REFUSING, send } from "../../proxy/support.ts";

const configured: DurableObjectStub<PoolState>[] = [];
const aggregators: DurableObjectStub<ReportAggregator>[] = [];

afterEach(async () => {
  for (const stub of configured.splice(0)) await stub.configure(null);
  for (const stub of aggregators.splice(0)) {
    await runInDurableObject(stub, (_instance: ReportAggregator, state) => state.storage.deleteAlarm());
  }
});

/** The real bindings, with a record of which aggregators and which PoolStates got reports. */
function recordingBindings(aggregation: string | undefined) {
  const aggregatorNames: string[] = [];
  const directReports: string[] = [];
  const poolState = {
    getByName: (name: string) => {
      const stub = env.POOL_STATE.getByName(name);
      return {
        snapshot: () => stub.snapshot(),
        report: (...args: Parameters<PoolState["report"]>) => {
          directReports.push(name);
          return stub.report(...args);
        },
      };
    },
  } as unknown as Env["POOL_STATE"];
  const aggregator = {
    getByName: (name: string) => {
      aggregatorNames.push(name);
      const stub = env.REPORT_AGGREGATOR.getByName(name);
      aggregators.push(stub);
      return stub;
    },
  } as unknown as Env["REPORT_AGGREGATOR"];
  const bindings: Env = { ...env, POOL_STATE: poolState, REPORT_AGGREGATOR: aggregator };
  if (aggregation === undefined) delete bindings.REPORT_AGGREGATION;
  else bindings.REPORT_AGGREGATION = aggregation;
  return { bindings, aggregatorNames, directReports };
}

/** A pool whose origin `a` refuses connections and is ejected after 2 failures in a row. */
async function failingPool(id: string) {
  const [pool] = installPools(
    [
      {
        id,
        origins: [
          { name: "a", address: REFUSING },
          { name: "b", address: ORIGIN },
        ],
        passiveHealth: { consecutiveFailures: 2, ejectionSeconds: 60 },
      },
    ],
    [{ id, hostname: `${id}.test`, pools: [id], retries: { attempts: 0 } }],
  );
  const stub = await configurePoolState(pool!);
  configured.push(stub);
  return stub;
}

async function sendAll(url: string, count: number, bindings: Env): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const response = await send(url, {}, bindings);
    statuses.push(response.status);
    await response.body?.cancel();
  }
  return statuses;
}

describe("where the edge sends its reports", () => {
  it("sends them to the region's aggregator, which brings the ejection to the PoolState", async () => {
    const stub = await failingPool("agg-edge");
    const { bindings, aggregatorNames, directReports } = recordingBindings("region");
    const statuses = await sendAll("http://agg-edge.test/", 8, bindings);
    expect(statuses.filter((status) => status === 502)).toHaveLength(2);
    await eventually(
      async () => (await stub.health())!.origins[0]!.state === "ejected",
      "the PoolState's ejection of a",
    );
    expect(aggregatorNames).toContain("agg-edge@XX");
    expect(aggregatorNames.filter((name) => name !== "agg-edge@XX")).toEqual([]);
    expect(directReports).not.toContain("agg-edge");
  });

  it("sends them straight to the PoolState when REPORT_AGGREGATION is unset", async () => {
    const stub = await failingPool("agg-edge-off");
    const { bindings, aggregatorNames, directReports } = recordingBindings(undefined);
    const statuses = await sendAll("http://agg-edge-off.test/", 8, bindings);
    expect(statuses.filter((status) => status === 502)).toHaveLength(2);
    await eventually(
      async () => (await stub.health())!.origins[0]!.state === "ejected",
      "the PoolState's ejection of a",
    );
    expect(aggregatorNames).toEqual([]);
    expect(directReports).toContain("agg-edge-off");
  });

  it("sends them straight to the PoolState when REPORT_AGGREGATION is off", async () => {
    const [pool] = installPools(
      [{ id: "agg-edge-plain", origins: [{ name: "b", address: ORIGIN }] }],
      [{ id: "agg-edge-plain", hostname: "agg-edge-plain.test", pools: ["agg-edge-plain"] }],
    );
    configured.push(await configurePoolState(pool!));
    const { bindings, aggregatorNames, directReports } = recordingBindings("off");
    expect(await sendAll("http://agg-edge-plain.test/", 3, bindings)).toEqual([200, 200, 200]);
    expect(aggregatorNames).toEqual([]);
    expect(directReports).toContain("agg-edge-plain");
  });
});
