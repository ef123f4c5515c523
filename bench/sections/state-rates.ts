/**
 * Section 3, state cost, paced: Durable Object calls of one load balancer isolate per 100 proxied
 * requests at 2, 10, 100 and 1,000 requests/s (docs/scale.md's table), and the per-object figures
 * of the scale simulation (test/unit/edge/scale-simulation.test.ts, run with SCALE_REPORT=1).
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import type { ConfigDocumentInput } from "../../worker/config/schema.ts";
import { onCleanup } from "../lib/cleanup.ts";
import { http } from "../lib/http.ts";
import type { SectionResult } from "../lib/report.ts";
import { fmt, sleep } from "../lib/stats.ts";
import { ADMIN_TOKEN, isolateCounters } from "../runtime/lb-admin.ts";
import { steadyLoad } from "../runtime/load.ts";
import { startOrigins, stopOrigins } from "../runtime/origins.ts";
import { startRuntime } from "../runtime/workerd.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);

/** Rate (requests/s), measured seconds, and the model's figure and bound from docs/scale.md. */
const RATES = [
  { rate: 2, seconds: 60, model: 3.3, bound: 5 },
  { rate: 10, seconds: 30, model: 2.3, bound: 5 },
  { rate: 100, seconds: 15, model: 0.83, bound: 1 },
  { rate: 1000, seconds: 10, model: 0.083, bound: 0.2 },
];
const WARMUP_SECONDS = 5;

/** One round_robin pool and load balancer per rate, so each rate starts its own pool cadence. */
function ratesConfig(originUrls: readonly string[]): ConfigDocumentInput {
  const ids = RATES.map((r) => `rate-${r.rate}`);
  return {
    pools: ids.map((id) => ({
      id,
      algorithm: "round_robin" as const,
      origins: originUrls.map((address, i) => ({ name: `origin-${i + 1}`, address })),
    })),
    loadBalancers: ids.map((id) => ({ id, hostname: `${id}.localhost`, pools: [id] })),
  };
}

interface ScaleReport {
  isolates: number;
  locations: number;
  requestsPerSecond: number;
  configStore: { mean: number; peak: number };
  poolState: { mean: number; peak: number };
  busiestAggregatorPeak: number;
  isolateCallsByReason: Record<string, number>;
  directPoolStateIfUnaggregated: number;
  callsPer1000Requests: number;
}

/** Runs the scale simulation's test file with SCALE_REPORT=1 and reads the figures it prints. */
async function scaleReport(): Promise<ScaleReport> {
  const vitest = resolve(ROOT, "node_modules/vitest/vitest.mjs");
  const { stdout } = await run(
    process.execPath,
    [
      vitest,
      "run",
      "--silent=false",
      "--config",
      "test/unit/vitest.config.ts",
      "test/unit/edge/scale-simulation.test.ts",
    ],
    { cwd: ROOT, env: { ...process.env, SCALE_REPORT: "1", NO_COLOR: "1" }, maxBuffer: 16 * 1024 * 1024 },
  );
  const line = stdout.split("\n").find((l) => l.includes('"isolates"'));
  if (!line) throw new Error("the scale simulation printed no figures");
  return JSON.parse(line.slice(line.indexOf("{"))) as ScaleReport;
}

export async function runStateRates(options: { quick: boolean }): Promise<SectionResult> {
  const result: SectionResult = {
    id: "state",
    title: "3. State cost",
    method: [
      "One load balancer isolate (the bundle in workerd through Miniflare's API, as in section 2) with " +
        "three origins and one `round_robin` pool per rate, driven open-loop at 2, 10, 100 and 1,000 " +
        `requests/s, one rate after the other: ${WARMUP_SECONDS} s of warm-up at the rate, then the measured ` +
        `seconds in the table${options.quick ? " (--quick: a fifth of them)" : ""}. DO calls and proxied ` +
        "requests are the isolate's own counters (`isolate: { doCalls, proxiedRequests }` of " +
        "`GET /__lb/healthz`), read before and after the measured part.",
      "Per-object figures at internet scale: the scale simulation (`test/unit/edge/scale-simulation.test.ts`, " +
        "the real cadence, location, report and aggregation code; 22,000 isolates in ~300 locations, one " +
        'busy least_connections pool, `REPORT_AGGREGATION = "region"`) run with `SCALE_REPORT=1`.',
    ],
    tables: [],
    notes: [],
  };
  const origins = await startOrigins(3);
  onCleanup("origins", () => stopOrigins(origins));
  const urls = origins.map((o) => o.url);
  const runtime = await startRuntime({ origins: urls, adminToken: ADMIN_TOKEN });
  try {
    if (!runtime.lbUrl) {
      result.notes.push(`Not measured: no load balancer (${runtime.lbError}).`);
    } else {
      const lbUrl = runtime.lbUrl;
      const put = await http(`${lbUrl}/__lb/api/v1/config`, {
        method: "PUT",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(ratesConfig(urls)),
      });
      if (put.status !== 200)
        throw new Error(`PUT /config answered ${put.status}: ${put.body.slice(0, 300)}`);
      const rows: string[][] = [];
      for (const { rate, seconds: full, model, bound } of RATES) {
        const seconds = options.quick ? Math.max(2, full / 5) : full;
        const load = steadyLoad(lbUrl, { ratePerSecond: rate, host: `rate-${rate}.localhost` });
        await sleep(WARMUP_SECONDS * 1000);
        const before = await isolateCounters(lbUrl);
        await sleep(seconds * 1000);
        const after = await isolateCounters(lbUrl);
        await load.stop();
        if (!before || !after) {
          result.notes.push("Not measured: `GET /__lb/healthz` does not report the isolate's counters.");
          break;
        }
        const calls = after.doCalls - before.doCalls;
        const proxied = after.proxiedRequests - before.proxiedRequests;
        const errors = load.answers.filter((a) => a.status !== 200).length;
        const per100 = proxied > 0 ? (calls / proxied) * 100 : Number.NaN;
        rows.push([
          String(rate),
          fmt(proxied / seconds),
          String(seconds),
          String(proxied),
          String(calls),
          fmt(per100),
          String(model),
          String(bound),
          per100 <= bound ? "met" : "missed",
          String(errors + load.shed),
        ]);
      }
      result.tables.push({
        caption: "one isolate, paced load",
        columns: [
          "target req/s",
          "achieved req/s",
          "measured s",
          "proxied",
          "DO calls",
          "DO calls per 100 requests",
          "model",
          "bound",
          "vs bound",
          "errors + shed",
        ],
        rows,
      });
      result.notes.push(
        "Counts are small at the low rates (a read every 30 s at 2 requests/s): one call more or less " +
          "moves the figure by 100 / requests. The isolate's configuration check (every 30 s) falls in " +
          "whichever rate is running; so may a pool's last 30 s counter report after its rate ended.",
      );
    }
  } finally {
    await runtime.stop();
  }
  try {
    const scale = await scaleReport();
    const reasons = Object.entries(scale.isolateCallsByReason)
      .map(([reason, calls]) => `${reason} ${Math.round(calls / 30)}`)
      .join(", ");
    result.tables.push({
      caption: `scale simulation: ${scale.isolates.toLocaleString("en-US")} isolates, ${scale.locations} locations, ${scale.requestsPerSecond.toLocaleString("en-US")} requests/s`,
      columns: ["object", "calls/s mean", "calls/s peak"],
      rows: [
        ["ConfigStore", String(scale.configStore.mean), String(scale.configStore.peak)],
        ["the pool's PoolState", String(scale.poolState.mean), String(scale.poolState.peak)],
        ["busiest regional aggregator", "", String(scale.busiestAggregatorPeak)],
        ["the PoolState without aggregation", String(scale.directPoolStateIfUnaggregated), ""],
      ],
    });
    result.notes.push(
      `Scale simulation: ${scale.callsPer1000Requests} DO calls per 1,000 requests in all; isolates' calls per second by reason: ${reasons}.`,
    );
  } catch (error) {
    result.notes.push(`Scale simulation not run: ${(error as Error).message.split("\n")[0]}`);
  }
  return result;
}
