/**
 * Section 2, proxy overhead, and section 3, state cost, from the same run: the load balancer and a
 * bare pass-through Worker in one workerd process, in front of the same three origins, under the
 * same autocannon load; nginx in front of the same origins as a reference when it is on PATH. The
 * isolate's Durable Object calls are read from /__lb/healthz before and after the measured load.
 */
import { onCleanup } from "../lib/cleanup.ts";
import type { SectionResult, Table } from "../lib/report.ts";
import { fmt, median, quantile } from "../lib/stats.ts";
import { ADMIN_TOKEN, isolateCounters, LB_HOST, seedAndVerify } from "../runtime/lb-admin.ts";
import { closedLoad, type LoadSample, mergeSamples, steadyLoad } from "../runtime/load.ts";
import { hasNginx, startNginx } from "../runtime/nginx.ts";
import { startOrigins, stopOrigins } from "../runtime/origins.ts";
import { bundleRevision } from "../runtime/revision.ts";
import { startRuntime } from "../runtime/workerd.ts";
import { stateSection } from "./state.ts";

/** The fixed rate of the unsaturated measurement: about a third of the pass-through's capacity here. */
const PACED_RATE = 1000;

export interface OverheadOptions {
  quick: boolean;
  /** Measured seconds per target, split over the rounds (two segments per round, ABBA order). */
  seconds: number;
  connections: number;
  /** ABBA rounds: each round measures every target twice, in order then in reverse. */
  rounds: number;
  /** A revision (commit, branch) whose load balancer runs beside this tree's, as "before". */
  against?: string | undefined;
}

interface Target {
  key: "passthrough" | "lb" | "before" | "nginx";
  label: string;
  url: string;
  host?: string;
}

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  responses: number;
  non2xx: number;
  errors: number;
  statuses: Record<number, number>;
  /** Mean requests in flight implied by the latencies (Little's law); should not exceed the connections. */
  concurrency: number;
}

function figures(sample: LoadSample): Figures {
  return {
    rps: sample.responses / sample.seconds,
    p50: quantile(sample.latenciesMs, 0.5),
    p99: quantile(sample.latenciesMs, 0.99),
    responses: sample.responses,
    non2xx: sample.non2xx,
    errors: sample.errors,
    statuses: sample.statuses,
    concurrency: sample.latenciesMs.reduce((sum, ms) => sum + ms, 0) / (sample.seconds * 1000),
  };
}

/**
 * `PACED_RATE` requests per second for `seconds`, open loop (load.ts `steadyLoad`: sent every 10 ms
 * whether or not earlier ones were answered), as a sample of the answered ones.
 */
async function pacedLoad(target: Target, seconds: number): Promise<LoadSample> {
  const started = performance.now();
  const load = steadyLoad(target.url, { ratePerSecond: PACED_RATE, host: target.host });
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await load.stop();
  const statuses: Record<number, number> = {};
  let non2xx = 0;
  let errors = load.shed;
  const latenciesMs: number[] = [];
  for (const answer of load.answers) {
    if (answer.status === 0) errors++;
    else if (answer.status < 200 || answer.status > 299) {
      non2xx++;
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    }
    latenciesMs.push(answer.doneAt - answer.sentAt);
  }
  const elapsed = (performance.now() - started) / 1000;
  return { responses: latenciesMs.length, seconds: elapsed, latenciesMs, non2xx, statuses, errors };
}

/** Runs sections 2 and 3. */
export async function runOverhead(options: OverheadOptions): Promise<SectionResult[]> {
  const notes: string[] = [];
  const origins = await startOrigins(3);
  onCleanup("origins", () => stopOrigins(origins));
  const urls = origins.map((o) => o.url);
  const before = options.against ? await bundleRevision(options.against) : null;
  const runtime = await startRuntime({ origins: urls, adminToken: ADMIN_TOKEN, before: before?.bundlePath });

  const targets: Target[] = [
    { key: "passthrough", label: "pass-through Worker", url: runtime.passthroughUrl },
  ];
  let lbProblem = runtime.lbError;
  if (runtime.lbUrl && !lbProblem) lbProblem = await seedAndVerify(runtime.lbUrl, urls);
  if (runtime.lbUrl && !lbProblem) {
    const label = before ? "Edge LB, this tree (after)" : "Edge LB (round_robin)";
    targets.push({ key: "lb", label, url: runtime.lbUrl, host: LB_HOST });
    if (before && runtime.beforeUrl) {
      const problem = await seedAndVerify(runtime.beforeUrl, urls);
      if (problem) notes.push(`Edge LB at ${before.commit} row skipped: ${problem}`);
      else {
        const url = runtime.beforeUrl;
        targets.push({ key: "before", label: `Edge LB at ${before.commit} (before)`, url, host: LB_HOST });
      }
    }
  } else {
    notes.push(`Edge LB row skipped: ${lbProblem}`);
  }
  if (hasNginx()) {
    try {
      const nginx = await startNginx(origins.map((o) => o.port));
      targets.push({ key: "nginx", label: "nginx (least_conn, reference)", url: nginx.url });
    } catch (error) {
      notes.push(`nginx row skipped: ${(error as Error).message}`);
    }
  } else {
    notes.push("nginx row skipped: no `nginx` on PATH.");
  }

  const warmupSeconds = options.quick ? 1 : 2;
  for (const target of targets) {
    await closedLoad(target.url, {
      connections: options.connections,
      seconds: warmupSeconds,
      host: target.host,
    });
  }

  const lbUrl = targets.find((t) => t.key === "lb")?.url ?? null;
  const countersBefore = lbUrl ? await isolateCounters(lbUrl) : null;
  // Rounds in ABBA order (A B C C B A) so slow drift of the shared machine hits every target alike;
  // each round's ratios compare segments measured seconds apart.
  const order = [...targets, ...[...targets].reverse()];
  const samples = new Map<Target["key"], LoadSample[]>();
  const segmentSeconds = options.seconds / (2 * options.rounds);
  const perRound: Map<Target["key"], Figures>[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const roundSamples = new Map<Target["key"], LoadSample[]>();
    for (const target of order) {
      const sample = await closedLoad(target.url, {
        connections: options.connections,
        seconds: segmentSeconds,
        host: target.host,
      });
      samples.set(target.key, [...(samples.get(target.key) ?? []), sample]);
      roundSamples.set(target.key, [...(roundSamples.get(target.key) ?? []), sample]);
    }
    perRound.push(new Map([...roundSamples].map(([key, list]) => [key, figures(mergeSamples(list))])));
  }
  const after = lbUrl ? await isolateCounters(lbUrl) : null;

  // The same targets at a fixed rate below every target's capacity: the latency each adds when the
  // runtime is not saturated (its queue does not grow), as on an edge that is not short of CPU.
  const pacedRounds: Map<Target["key"], Figures>[] = [];
  const pacedTargets = order.filter((t) => t.key !== "nginx");
  for (let round = 0; round < options.rounds; round++) {
    const roundSamples = new Map<Target["key"], LoadSample[]>();
    for (const target of pacedTargets) {
      const sample = await pacedLoad(target, segmentSeconds);
      roundSamples.set(target.key, [...(roundSamples.get(target.key) ?? []), sample]);
    }
    pacedRounds.push(new Map([...roundSamples].map(([key, list]) => [key, figures(mergeSamples(list))])));
  }

  const results = new Map(targets.map((t) => [t.key, figures(mergeSamples(samples.get(t.key) ?? []))]));
  const rows = targets.map((t) => {
    const f = results.get(t.key)!;
    if (f.non2xx > 0 || f.errors > 0) {
      const statuses = Object.entries(f.statuses).map(([status, count]) => `${count}× ${status}`);
      const errors = f.errors > 0 ? [`${f.errors} connection errors/timeouts`] : [];
      notes.push(`${t.label}: ${[...statuses, ...errors].join(", ")} during the measured load.`);
    }
    if (f.concurrency > options.connections * 1.1) {
      // autocannon keeps timing a re-opened connection against a request of the closed one.
      notes.push(
        `${t.label}: latencies overstated (they imply ${fmt(f.concurrency)} requests in flight on ` +
          `${options.connections} connections; connections were re-opened during the run).`,
      );
    }
    return [t.label, fmt(f.rps), fmt(f.p50), fmt(f.p99), String(f.non2xx + f.errors), String(f.responses)];
  });
  const tables: Table[] = [
    {
      caption: `${options.connections} connections, ${options.seconds} s per target (${options.rounds} ABBA rounds of two ${fmt(segmentSeconds)} s segments), after ${warmupSeconds} s warm-up; all segments pooled`,
      columns: ["target", "requests/s", "p50 ms", "p99 ms", "errors/non-2xx", "responses"],
      rows,
    },
  ];
  const ratioRows: string[][] = [];
  for (const key of ["lb", "before", "nginx"] as const) {
    if (!results.has(key)) continue;
    const of = (pick: (f: Figures) => number) =>
      perRound.map((round) => pick(round.get(key)!) / pick(round.get("passthrough")!));
    const throughput = of((f) => f.rps);
    const p50 = of((f) => f.p50);
    const p99 = of((f) => f.p99);
    const verdict =
      key === "lb" || key === "before"
        ? `${median(throughput) >= 0.9 ? "rps met" : "rps missed"}, ${median(p99) <= 1.5 ? "p99 met" : "p99 missed"}`
        : "(reference)";
    ratioRows.push([
      `${targets.find((t) => t.key === key)!.label} / pass-through`,
      `${median(throughput).toFixed(2)}×`,
      `${median(p50).toFixed(2)}×`,
      `${median(p99).toFixed(2)}×`,
      throughput.map((r) => r.toFixed(2)).join(", "),
      p99.map((r) => r.toFixed(2)).join(", "),
      verdict,
    ]);
  }
  if (ratioRows.length > 0) {
    tables.push({
      caption: `ratios to the pass-through, same run, same origins, same load: median of the ${options.rounds} rounds' ratios`,
      columns: [
        "pair",
        "throughput",
        "p50",
        "p99",
        "throughput per round",
        "p99 per round",
        "target ≥ 0.9× rps, p99 ≤ 1.5×",
      ],
      rows: ratioRows,
    });
  }

  const pacedRows: string[][] = [];
  for (const target of targets.filter((t) => t.key !== "nginx")) {
    const of = (pick: (f: Figures) => number) => pacedRounds.map((round) => pick(round.get(target.key)!));
    const versus = (pick: (f: Figures) => number) =>
      pacedRounds.map((round) => pick(round.get(target.key)!) / pick(round.get("passthrough")!));
    const failed = of((f) => f.non2xx + f.errors).reduce((a, b) => a + b, 0);
    if (failed > 0) notes.push(`${target.label}: ${failed} requests failed or not sent at the fixed rate.`);
    pacedRows.push([
      target.label,
      fmt(median(of((f) => f.rps))),
      fmt(median(of((f) => f.p50))),
      fmt(median(of((f) => f.p99))),
      target.key === "passthrough" ? "" : `${median(versus((f) => f.p50)).toFixed(2)}×`,
      target.key === "passthrough" ? "" : `${median(versus((f) => f.p99)).toFixed(2)}×`,
    ]);
  }
  tables.push({
    caption: `at a fixed ${fmt(PACED_RATE)} requests/s, open loop (below every target's capacity), same rounds: medians of the rounds`,
    columns: ["target", "requests/s", "p50 ms", "p99 ms", "p50 / pass-through", "p99 / pass-through"],
    rows: pacedRows,
  });

  const overhead: SectionResult = {
    id: "overhead",
    title: "2. Proxy overhead",
    method: [
      "The Worker is bundled with `wrangler deploy --dry-run` and run in workerd through Miniflare's API, " +
        "with its Durable Objects on SQLite in a temporary directory. A bare pass-through Worker (a few " +
        "lines that `fetch()` the same origins round robin) runs in the same workerd process. Each Worker " +
        "listens on its own loopback socket (Miniflare direct sockets), so Miniflare's entry Worker is not " +
        "in the path of either.",
      "Origins: three Node HTTP servers with keep-alive, each in its own child process (so they never " +
        "share an event loop with the load generator), answering a 9-byte body at once. The load balancer " +
        "is configured through its API: one `round_robin` pool of the three origins with active health " +
        "checks every second, one load balancer for the Host `bench.localhost`.",
      `Load: autocannon in the benchmark process, ${options.connections} connections, ${warmupSeconds} s ` +
        `warm-up per target, then ${options.seconds} s per target in ${options.rounds} rounds, each round ` +
        "two segments per target in ABBA order. Latencies are autocannon's per-response times " +
        "(sub-millisecond); requests/s = responses / wall time. The first table pools every segment; " +
        "the ratios are per round (the round's two segments of each target) and their median is what " +
        "the targets are judged on, so that the shared machine's drift between rounds cancels out. " +
        "nginx, when present, runs one worker process with " +
        "`least_conn`, upstream keep-alive and `keepalive_requests` raised so that, like workerd, it " +
        "keeps the load generator's connections open for the whole run.",
      "*Before and after*: `npm run bench -- overhead --against <revision>` bundles that revision (git " +
        "archive into a temporary directory) and runs its load balancer beside this tree's in the same " +
        "workerd process, on its own socket and with its own Durable Objects and the same configuration, " +
        "as one more target of every round.",
      `*At a fixed rate*: the same rounds again at ${fmt(PACED_RATE)} requests/s, open loop (Node's HTTP ` +
        "client with keep-alive, sent every 10 ms whatever the answers), which no Worker here is short " +
        "of CPU for; latency (from sending to the whole answer, the Node client's own time included, " +
        "the same for every target) then shows what each request " +
        "costs, not how long the runtime's queue grows once it is saturated (with 10 connections in a " +
        "closed loop, the saturated latency is the inverse of the throughput).",
    ],
    tables,
    notes,
  };

  const state = stateSection(
    countersBefore,
    after,
    results.get("lb")?.responses ?? null,
    runtime.lbUrl !== null,
  );
  await runtime.stop();
  return [overhead, state];
}
