/**
 * Section "profile": where the load balancer's CPU time and memory go per proxied request, in the
 * CPU-only harness (bench/runtime/cpu-harness.ts): the CPU time of the workerd process per request
 * (load balancer vs the bare pass-through Worker, ABBA), a V8 CPU profile of the load balancer's
 * isolate (top self-time frames), and the bytes allocated per request from V8's sampling heap
 * profiler (collected objects included). CPU time and profile shares are robust to a busy machine
 * in a way that wall-clock throughput is not.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onCleanup } from "../lib/cleanup.ts";
import { freePort } from "../lib/ports.ts";
import type { SectionResult, Table } from "../lib/report.ts";
import { fmt, median, quantile, ratio, sleep } from "../lib/stats.ts";
import { type HarnessTarget, startCpuHarness } from "../runtime/cpu-harness.ts";
import { type GcPauses, gcPauses } from "../runtime/gc-pauses.ts";
import {
  bytesByFrame,
  type CpuProfile,
  connectInspector,
  type Inspector,
  sampledBytes,
  selfTimeByFrame,
} from "../runtime/inspector.ts";
import { cpuMs, workerdPid } from "../runtime/process-cpu.ts";
import { bundleRevision } from "../runtime/revision.ts";

export interface ProfileOptions {
  quick: boolean;
  /** Requests in flight at once (the driver's lanes). */
  connections: number;
  /** A revision (commit, branch) to run beside the working tree's load balancer, as "before". */
  against?: string | undefined;
  /** ABBA rounds of the CPU measurement (each round measures every target twice). */
  rounds: number;
}

const TOP_FRAMES = 15;
/** Requests per measured segment (a few seconds each on a shared 2-core machine). */
const REQUESTS_PER_SEGMENT = 4000;
/** Sampling intervals: CPU profile in µs, heap sampling in bytes. */
const CPU_SAMPLING_US = 100;
const HEAP_SAMPLING_BYTES = 4096;
/** Steady load for the GC pauses: batches of this many requests every `PAUSE_BATCH_MS` (1,000/s). */
const PAUSE_BATCH = 10;
const PAUSE_BATCH_MS = 10;
/** A GC pause at least this long counts as long (ms). */
const LONG_PAUSE_MS = 5;

/** Runs the section. */
export async function runProfile(options: ProfileOptions): Promise<SectionResult> {
  const notes: string[] = [];
  const before = options.against ? await bundleRevision(options.against) : null;
  const inspectorPort = await freePort();
  const harness = await startCpuHarness({
    inspectorPort,
    ...(before ? { before: before.bundlePath } : {}),
  });
  const pid = workerdPid();
  if (pid === null) throw new Error("the workerd process was not found in /proc");
  const count = options.quick ? 500 : REQUESTS_PER_SEGMENT;
  const lanes = options.connections;
  const rounds = Math.max(1, options.rounds);
  const labels: Record<HarnessTarget, string> = {
    passthrough: "pass-through Worker",
    "edge-lb-before": `Edge LB at ${before?.commit ?? "?"} (before)`,
    "edge-lb": before ? "Edge LB, this tree (after)" : "Edge LB (round_robin)",
  };
  const targets: HarnessTarget[] = before
    ? ["passthrough", "edge-lb-before", "edge-lb"]
    : ["passthrough", "edge-lb"];
  const lbs = targets.filter((t) => t !== "passthrough");
  const drive = async (target: HarnessTarget, n: number) => {
    const answer = await harness.drive(target, n, Math.min(lanes, n));
    if (answer.failed > 0)
      notes.push(`${labels[target]}: ${answer.failed} of ${n} requests not answered 200.`);
    return answer;
  };
  for (const target of targets) await drive(target, count);

  // CPU time of the workerd process per request: per round every target in order, then reversed.
  const segments = new Map<HarnessTarget, number[]>();
  const order = [...targets, ...[...targets].reverse()];
  for (let round = 0; round < rounds; round++) {
    for (const target of order) {
      const started = cpuMs(pid);
      await drive(target, count);
      const usPerRequest = ((cpuMs(pid) - started) * 1000) / count;
      segments.set(target, [...(segments.get(target) ?? []), usPerRequest]);
    }
  }
  const mean = (target: HarnessTarget) => {
    const values = segments.get(target) ?? [];
    return values.reduce((a, b) => a + b, 0) / values.length;
  };
  /**
   * Per round, the target's CPU per request over the pass-through's (both of the round's segments
   * each, so the two alternate within the round): the machine's drift between rounds cancels out.
   */
  const roundRatios = (target: HarnessTarget): number[] => {
    const mine = segments.get(target) ?? [];
    const base = segments.get("passthrough") ?? [];
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const a = (mine[2 * round] ?? 0) + (mine[2 * round + 1] ?? 0);
      const b = (base[2 * round] ?? 0) + (base[2 * round + 1] ?? 0);
      if (b > 0) ratios.push(a / b);
    }
    return ratios;
  };

  const locate = bundleLocator(harness.bundlePath);
  const inspectors = new Map<HarnessTarget, Inspector>();
  for (const target of targets) inspectors.set(target, await connectInspector(inspectorPort, target));
  onCleanup("inspectors", async () => {
    for (const inspector of inspectors.values()) inspector.close();
  });
  const inspectorOf = (target: HarnessTarget) => inspectors.get(target) as Inspector;
  const frames = new Map<HarnessTarget, ReturnType<typeof selfTimeByFrame>>();
  /** Per target: microseconds of the profile (its wall time) per request. */
  const profiledUs = new Map<HarnessTarget, number>();
  for (const target of lbs) {
    const locateTarget = target === "edge-lb-before" && before ? bundleLocator(before.bundlePath) : locate;
    const profile = await cpuProfile(inspectorOf(target), () => drive(target, count));
    frames.set(target, selfTimeByFrame(profile, locateTarget));
    profiledUs.set(target, (profile.endTime - profile.startTime) / count);
    const saved = join(tmpdir(), `edge-lb-${target}.cpuprofile`);
    writeFileSync(saved, JSON.stringify(profile));
    notes.push(`${labels[target]}: the CPU profile is saved in ${saved} (open it in Chrome DevTools).`);
  }
  const heaps = new Map<HarnessTarget, Awaited<ReturnType<typeof heapSample>>>();
  for (const target of targets) {
    const locateTarget = target === "edge-lb-before" && before ? bundleLocator(before.bundlePath) : locate;
    heaps.set(target, await heapSample(inspectorOf(target), locateTarget, () => drive(target, count)));
  }
  // GC pauses at a steady 1,000 requests/s: every target twice, in ABBA order, profiled throughout.
  const pauseMs = options.quick ? 2000 : 10_000;
  const pauses = new Map<HarnessTarget, { gc: GcPauses[]; batchMs: number[] }>();
  for (const target of [...targets, ...[...targets].reverse()]) {
    const entry = pauses.get(target) ?? { gc: [], batchMs: [] };
    pauses.set(target, entry);
    const profile = await cpuProfile(inspectorOf(target), async () => {
      const sent: Promise<unknown>[] = [];
      const until = Date.now() + pauseMs;
      while (Date.now() < until) {
        const started = performance.now();
        sent.push(drive(target, PAUSE_BATCH).then(() => entry.batchMs.push(performance.now() - started)));
        await sleep(PAUSE_BATCH_MS);
      }
      await Promise.all(sent);
    });
    entry.gc.push(gcPauses(profile, LONG_PAUSE_MS));
  }
  for (const inspector of inspectors.values()) inspector.close();
  await harness.stop();

  const passUs = mean("passthrough");
  const lbHeap = heaps.get("edge-lb");
  const frameTable = (target: HarnessTarget): Table => ({
    caption: `${labels[target]} isolate, top ${TOP_FRAMES} frames by self time (V8 CPU profile over ${count} requests)`,
    columns: [
      "frame (function, bundle module)",
      "share of samples",
      "share of busy samples",
      "µs per request",
    ],
    rows: (frames.get(target) ?? [])
      .slice(0, TOP_FRAMES)
      .map((f) => [
        f.frame,
        `${(f.share * 100).toFixed(1)} %`,
        `${(f.busyShare * 100).toFixed(1)} %`,
        (f.share * (profiledUs.get(target) ?? 0)).toFixed(1),
      ]),
  });
  const tables: Table[] = [
    {
      caption: `CPU time of the workerd process per request (${count} requests per segment, ${lanes} at a time, ${rounds > 1 ? `${rounds} rounds, ` : ""}each round ${order.map((t) => (t === "passthrough" ? "P" : t === "edge-lb" ? "A" : "B")).join("")})`,
      columns: ["target", "CPU µs per request", "segments (µs)"],
      rows: targets.map((t) => [
        labels[t],
        fmt(mean(t)),
        (segments.get(t) ?? []).map((v) => fmt(v)).join(", "),
      ]),
    },
    {
      caption:
        "ratio to the pass-through, same run: median of the rounds' ratios (each round's two segments of each), and the ratio of the means",
      columns: ["pair", "CPU per request, median of rounds", "rounds", "ratio of means", "target ≤ 1.5×"],
      rows: lbs.map((t) => {
        const perRound = roundRatios(t);
        const mid = median(perRound);
        return [
          `${labels[t]} / pass-through`,
          `${mid.toFixed(2)}×`,
          perRound.map((r) => r.toFixed(2)).join(", "),
          ratio(mean(t), passUs),
          mid <= 1.5 ? "met" : "missed",
        ];
      }),
    },
    ...(before ? [frameTable("edge-lb-before")] : []),
    frameTable("edge-lb"),
    {
      caption: `bytes allocated per request (V8 sampling heap profiler, every ~${HEAP_SAMPLING_BYTES} B, collected objects included, ${count} requests)`,
      columns: ["target", "bytes per request"],
      rows: targets.map((t) => [labels[t], fmt((heaps.get(t)?.bytes ?? 0) / count)]),
    },
    {
      caption: `garbage-collector pauses at a steady ${(1000 * PAUSE_BATCH) / PAUSE_BATCH_MS} requests/s (batches of ${PAUSE_BATCH} every ${PAUSE_BATCH_MS} ms, ${pauseMs / 1000} s per target twice, ABBA; CPU profile of each isolate)`,
      columns: [
        "target",
        "GC share of samples",
        `pauses ≥ ${LONG_PAUSE_MS} ms per minute`,
        "longest pause ms",
        "batch p50 ms",
        "batch p99 ms",
        "batch max ms",
      ],
      rows: targets.map((t) => {
        const { gc = [], batchMs = [] } = pauses.get(t) ?? {};
        const spanMs = gc.reduce((a, g) => a + g.spanMs, 0);
        const gcShare = gc.reduce((a, g) => a + g.share * g.spanMs, 0) / Math.max(1, spanMs);
        const long = gc.reduce((a, g) => a + g.long, 0);
        return [
          labels[t],
          `${(gcShare * 100).toFixed(1)} %`,
          fmt((long * 60_000) / Math.max(1, spanMs)),
          fmt(gc.reduce((a, g) => Math.max(a, g.longestMs), 0)),
          fmt(quantile(batchMs, 0.5)),
          fmt(quantile(batchMs, 0.99)),
          fmt(batchMs.reduce((a, b) => Math.max(a, b), 0)),
        ];
      }),
    },
    {
      caption: `${labels["edge-lb"]}: top allocating frames`,
      columns: ["frame (function, bundle module)", "bytes per request"],
      rows: (lbHeap?.frames ?? []).slice(0, 10).map((f) => [f.frame, fmt(f.bytes / count)]),
    },
  ];
  return {
    id: "profile",
    title: "5. Hot-path profile",
    method: [
      "The CPU-only harness (bench/runtime/cpu-harness.ts): the bundled load balancer (configuration of " +
        "section 2: one `round_robin` pool of three origins, health checks every second) and the bare " +
        "pass-through Worker in one workerd process, driven by a third Worker through service bindings, " +
        "every outbound fetch answered by a stub origin Worker in the same process. No socket is in the " +
        "path, so the figures do not depend on the kernel or on a load generator sharing the cores.",
      "*CPU per request*: user + system CPU time of the workerd process (from /proc) over the requests " +
        "of a segment, in ABBA segments; it counts all workerd spends per request (the Worker, the " +
        "driver, the stub origin, the runtime's plumbing), so the pass-through figure is the floor. " +
        `*Profile*: a V8 CPU profile (sampling every ${CPU_SAMPLING_US} µs) of the load balancer's isolate ` +
        "through its inspector; frames are named by function and by the source module esbuild notes in " +
        'the bundle; "(program)" is native time outside JavaScript, "(idle)" the isolate waiting. ' +
        "A frame's *µs per request* is its share of the samples times the profile's wall time per " +
        "request; a native call made from JavaScript (a `Headers` method, `fetch`) counts in the frame " +
        "of the function that made it. " +
        "*Allocation*: V8's sampling heap profiler with objects collected by minor and major GCs " +
        "included, so the sum estimates every byte allocated on the JavaScript heap per request.",
      "*GC pauses*: each isolate is then profiled again while the driver sends it a steady 1,000 " +
        "requests/s (open loop: a batch of 10 every 10 ms, whatever the answers). A pause is a run of " +
        'consecutive "(garbage collector)" samples ("(program)" samples between them included); the ' +
        "isolate answers nothing during one, so its longest pauses bound the tail latency a steady load " +
        "sees. *Batch* times are the driver's, from sending a batch to its last answer.",
      "*Before and after*: `npm run bench -- profile --against <revision> [--rounds N]` bundles that " +
        "revision (git archive into a temporary directory) and runs it beside the working tree's load " +
        "balancer in the same process, with its own Durable Objects and the same configuration; the " +
        "CPU segments then alternate over the three Workers (P, B, A, A, B, P per round), so both load " +
        "balancers see the same machine load.",
    ],
    tables,
    notes,
  };
}

async function cpuProfile(inspector: Inspector, run: () => Promise<unknown>): Promise<CpuProfile> {
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: CPU_SAMPLING_US });
  await inspector.send("Profiler.start");
  await run();
  const { profile } = await inspector.send<{ profile: CpuProfile }>("Profiler.stop");
  await inspector.send("Profiler.disable");
  return profile;
}

type SamplingHead = Parameters<typeof sampledBytes>[0];

async function heapSample(
  inspector: Inspector,
  locate: (url: string, line: number) => string,
  run: () => Promise<unknown>,
): Promise<{ bytes: number; frames: ReturnType<typeof bytesByFrame> }> {
  await inspector.send("HeapProfiler.enable");
  await inspector.send("HeapProfiler.startSampling", {
    samplingInterval: HEAP_SAMPLING_BYTES,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await run();
  const { profile } = await inspector.send<{ profile: { head: SamplingHead } }>("HeapProfiler.stopSampling");
  await inspector.send("HeapProfiler.disable");
  return { bytes: sampledBytes(profile.head), frames: bytesByFrame(profile.head, locate) };
}

/** Maps a bundle line to the source module esbuild noted above it (`// worker/proxy/forward.ts`). */
function bundleLocator(bundlePath: string | null): (url: string, line: number) => string {
  if (!bundlePath) return (url, line) => `${url}:${line + 1}`;
  const starts: { line: number; module: string }[] = [];
  readFileSync(bundlePath, "utf8")
    .split("\n")
    .forEach((text, line) => {
      const match = /^\/\/ (\S+\.(?:ts|js|mjs|cjs))$/.exec(text);
      if (match?.[1]) starts.push({ line, module: match[1].replace(/^.*node_modules\//, "") });
    });
  return (_url, line) => {
    let module = "bundle";
    for (const start of starts) {
      if (start.line > line) break;
      module = start.module;
    }
    return module;
  };
}
