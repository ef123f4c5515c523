/**
 * Section 1, decision cost: plain-Node microbenchmarks of every balancing algorithm (ns per pick and
 * the cost of building a balancer, e.g. a hash table) for pools of 3, 100 and 1000 origins, and of
 * routing (matching a load balancer and choosing a pool) when worker/routing has it.
 */
import type { BalancerOrigin, Candidate, PickInput } from "../../worker/balancing/types.ts";
import type { SectionResult, Table } from "../lib/report.ts";
import { seeded } from "../lib/seeded.ts";
import { duration, fmt } from "../lib/stats.ts";
import { findAlgorithms } from "./decision-algorithms.ts";
import { measureCandidates } from "./decision-candidates.ts";
import { measureEvictions } from "./decision-evictions.ts";
import { measureRouting } from "./decision-routing.ts";
import { measureTraffic } from "./decision-traffic.ts";
import { nsPerOp } from "./microbench.ts";

const SIZES = [3, 100, 1000] as const;
const TARGET_NS_AT_100 = 1000;
/** A pool's first request in a fresh isolate pays at most this for building its structures. */
const TARGET_FIRST_NS = 500_000;

export interface DecisionOptions {
  quick: boolean;
}

/** A pool of `size` origins with mixed weights, in-flight counts and latencies. */
function makePool(size: number): { origins: BalancerOrigin[]; candidates: Candidate[] } {
  const random = seeded(size);
  const origins: BalancerOrigin[] = [];
  const candidates: Candidate[] = [];
  for (let index = 0; index < size; index++) {
    const name = `origin-${index + 1}`;
    const weight = 1 + Math.floor(random() * 5);
    origins.push({ name, weight });
    candidates.push({
      name,
      index,
      weight,
      inflight: Math.floor(random() * 20),
      latencyMs: 5 + Math.round(random() * 45),
    });
  }
  return { origins, candidates };
}

/** Client addresses used as hash keys, cycled through so lookups do not hit one cached slot. */
function makeKeys(count: number): string[] {
  const random = seeded(42);
  return Array.from(
    { length: count },
    () =>
      `${10 + Math.floor(random() * 200)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`,
  );
}

/** Runs the decision-cost section. */
export async function runDecision(options: DecisionOptions): Promise<SectionResult> {
  const micro = options.quick ? { sampleMs: 10, samples: 5 } : { sampleMs: 40, samples: 9 };
  const keys = makeKeys(4096);
  const pools = new Map(SIZES.map((size) => [size, makePool(size)]));
  const notes: string[] = [];

  const pickRows: string[][] = [];
  const buildRows: string[][] = [];
  for (const algorithm of await findAlgorithms()) {
    if (!algorithm.build) {
      notes.push(`\`${algorithm.name}\`: ${algorithm.source}.`);
      continue;
    }
    const build = algorithm.build;
    if (algorithm.factoryMismatch) {
      notes.push(
        `\`${algorithm.name}\`: \`createBalancer("${algorithm.name}")\` (worker/balancing/index.ts) does not pick ` +
          `like ${algorithm.source} yet (it answers another algorithm); measured from the module.`,
      );
    }
    const pickCells: string[] = [];
    const buildCells: string[] = [];
    let at100 = Number.NaN;
    let firstWorst = 0;
    const firstWall: string[] = [];
    for (const size of SIZES) {
      const pool = pools.get(size)!;
      const candidates = pool.candidates;
      // A pool's first request in an isolate: the balancer is built and asked once (a hash table is
      // built on its first lookup).
      const first = (i: number) =>
        build(pool.origins).pick({ candidates, key: keys[i & 4095], random: Math.random })?.index ?? -1;
      const firstNs = nsPerOp(first, { ...micro, clock: "cpu" });
      firstWorst = Math.max(firstWorst, firstNs);
      buildCells.push(duration(firstNs));
      if (algorithm.name === "hash") firstWall.push(duration(nsPerOp(first, micro)));
      const balancer = build(pool.origins);
      const ns = nsPerOp((i) => {
        const input: PickInput = { candidates, key: keys[i & 4095], random: Math.random };
        return balancer.pick(input)?.index ?? -1;
      }, micro);
      if (size === 100) at100 = ns;
      pickCells.push(fmt(ns));
    }
    const verdict = at100 < TARGET_NS_AT_100 ? "met" : "missed";
    pickRows.push([algorithm.name, ...pickCells, verdict]);
    buildRows.push([algorithm.name, ...buildCells, firstWorst <= TARGET_FIRST_NS ? "met" : "missed"]);
    if (firstWall.length > 0) {
      notes.push(
        `\`${algorithm.name}\`, a pool's first request in wall-clock time (3, 100, 1000 origins): ${firstWall.join(", ")}.`,
      );
    }
  }

  const tables: Table[] = [];
  if (pickRows.length > 0) {
    tables.push({
      caption: "ns per pick (median of samples, all origins usable)",
      columns: ["algorithm", "3 origins", "100 origins", "1000 origins", "target < 1 µs @ 100"],
      rows: pickRows,
    });
    tables.push({
      caption: "a pool's first request in an isolate: building its balancer and one pick (median, CPU time)",
      columns: ["algorithm", "3 origins", "100 origins", "1000 origins", "target ≤ 0.5 ms"],
      rows: buildRows,
    });
  }
  const candidates = await measureCandidates(micro);
  tables.push(...candidates.tables);
  notes.push(...candidates.notes);
  const routing = await measureRouting(micro);
  tables.push(...routing.tables);
  notes.push(...routing.notes);
  const traffic = await measureTraffic(micro);
  tables.push(...traffic.tables);
  notes.push(...traffic.notes);
  const evictions = await measureEvictions(options.quick ? 4000 : 20_000);
  tables.push(...evictions.tables);
  notes.push(...evictions.notes);

  return {
    id: "decision",
    title: "1. Decision cost",
    method: [
      "Plain Node microbenchmarks of the pure modules, no runtime involved. Each algorithm is built from " +
        "its module in worker/balancing and asked for a pick over pools of 3, 100 and 1000 usable origins with " +
        "mixed weights (1-5), in-flight counts (0-19) and latencies (5-50 ms); `hash` keys cycle through " +
        "4096 client addresses. A measurement is warmed up and calibrated, then the median of " +
        `${micro.samples} samples of ~${micro.sampleMs} ms is kept. ` +
        "A pool's first request is timed separately: building its balancer (the Maglev table for `hash`, " +
        "sized to the pool and built on the first lookup) and one pick; it happens once per pool version " +
        "and isolate (and again after the isolate's balancer budget evicted the pool), not per request. " +
        "It is timed in CPU time of the process (user + system, V8's helper threads included), since " +
        "its target is CPU and elapsed time on a shared machine counts time the process waited; the " +
        "builds run JIT-compiled, as they do once an isolate has built a few tables. " +
        "All algorithms run in one process, so the pick call site is shared " +
        "(megamorphic): each figure includes a few ns of call dispatch the Worker's own call site may not pay.",
      "A pick is only part of the per-request decision: before it, the edge turns the pool into its " +
        "usable candidates (`poolCandidates` in worker/health/edge-view.ts, from the pool, the PoolState " +
        "snapshot and the isolate's own counters), and before that routing matches the load balancer " +
        "and chooses the pool (worker/routing). Both are measured the same way below; routing is " +
        "measured over configurations of 3, 100 and 1000 load balancers.",
    ],
    tables,
    notes,
  };
}
