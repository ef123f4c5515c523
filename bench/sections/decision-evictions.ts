/**
 * What the isolate's balancer budget costs requests: per-request decision time (the pool's balancer
 * from worker/edge/pool-balancers.ts, built if the pool has none, and one `hash` pick) over 1,000
 * `hash` pools of 10 origins, the largest configuration's origin count, whose tables together exceed
 * the budget. Traffic that stays on a working set the budget holds rebuilds nothing; traffic spread
 * over every pool makes the least recently used pools go and come back, each return a rebuild.
 */
import type { Candidate } from "../../worker/balancing/types.ts";
import { type Pool, PoolSchema } from "../../worker/config/schema.ts";
import type { Table } from "../lib/report.ts";
import { seeded } from "../lib/seeded.ts";
import { duration, fmt, quantile } from "../lib/stats.ts";

const POOLS = 1000;
const ORIGINS_PER_POOL = 10;

interface Scenario {
  name: string;
  /** The pool of request `i`. */
  poolOf(i: number, random: () => number): number;
}

const SCENARIOS: Scenario[] = [
  { name: "round robin over 500 pools (a working set the budget holds)", poolOf: (i) => i % 500 },
  {
    name: "1,000 pools, 90 % of requests to 100 of them, 10 % spread over all",
    poolOf: (i, random) => (random() < 0.9 ? i % 100 : Math.floor(random() * POOLS)),
  },
  { name: "round robin over all 1,000 pools (every request a rebuild)", poolOf: (i) => i % POOLS },
];

function makePools(): { pools: Pool[]; candidates: Candidate[][] } {
  const pools: Pool[] = [];
  const candidates: Candidate[][] = [];
  for (let p = 0; p < POOLS; p++) {
    const origins = Array.from({ length: ORIGINS_PER_POOL }, (_, o) => ({
      name: `o${o}`,
      address: `https://o${o}.p${p}.example.net`,
    }));
    const pool = { ...PoolSchema.parse({ id: `evict-${p}`, algorithm: "hash", origins }), version: 1 };
    pools.push(pool);
    candidates.push(
      pool.origins.map((origin, index) => ({
        name: origin.name,
        index,
        weight: origin.weight,
        inflight: 0,
        latencyMs: null,
      })),
    );
  }
  return { pools, candidates };
}

/** Measures every scenario; `requests` per scenario after a warm-up pass over its pools. */
export async function measureEvictions(requests: number): Promise<{ tables: Table[]; notes: string[] }> {
  const edge = await import("../../worker/edge/pool-balancers.ts");
  const { pools, candidates } = makePools();
  const rows: string[][] = [];
  for (const scenario of SCENARIOS) {
    edge.forgetPoolBalancers(new Set());
    const random = seeded(7);
    for (let i = 0; i < requests; i++) edge.balancerFor(pools[scenario.poolOf(i, random)]!);
    const before = edge.poolBalancerStats();
    const cpu = new Float64Array(requests);
    const wall = new Float64Array(requests);
    const traffic = seeded(11);
    let sink = 0;
    for (let i = 0; i < requests; i++) {
      const p = scenario.poolOf(i, traffic);
      const key = `10.${p & 255}.${i & 255}.${(i >> 8) & 255}`;
      const start = process.hrtime.bigint();
      const used = process.cpuUsage();
      const picked = edge
        .balancerFor(pools[p]!)
        .pick({ candidates: candidates[p]!, key, random: Math.random });
      const { user, system } = process.cpuUsage(used);
      wall[i] = Number(process.hrtime.bigint() - start);
      cpu[i] = (user + system) * 1000;
      sink += picked?.index ?? 0;
    }
    const after = edge.poolBalancerStats();
    const values = Array.from(cpu);
    rows.push([
      scenario.name,
      fmt(requests),
      fmt(after.evictions - before.evictions),
      fmt(after.rebuilds - before.rebuilds),
      duration(quantile(values, 0.5)),
      duration(quantile(values, 0.99)),
      duration(quantile(values, 0.999)),
      duration(quantile(Array.from(wall), 0.99)),
      `${fmt(after.bytes / 1048576)} MiB`,
    ]);
    if (sink < 0) rows.push(["unreachable"]);
  }
  edge.forgetPoolBalancers(new Set());
  return {
    tables: [
      {
        caption: `the balancer budget: per-request decision time over ${fmt(POOLS)} \`hash\` pools of ${ORIGINS_PER_POOL} origins`,
        columns: [
          "traffic",
          "requests",
          "evictions",
          "rebuilds",
          "CPU p50",
          "CPU p99",
          "CPU p99.9",
          "wall p99",
          "held",
        ],
        rows,
      },
    ],
    notes: [
      `Budget: ${fmt(edge.BALANCER_BUDGET_BYTES / 1048576)} MiB counted (worker/edge/pool-balancers.ts); ` +
        `the ${fmt(POOLS)} pools' tables would take more. A request's time is the pool's balancer ` +
        "(built, with its table, when the pool has none) and one pick: CPU time of the process " +
        "(`process.cpuUsage`, user + system, whole µs, its own call included) and wall clock, which " +
        "on a shared machine also counts time the process was not running; after a warm-up pass of " +
        "the same traffic; evictions and rebuilds are the " +
        "counters of worker/edge/pool-balancers.ts over the measured requests.",
    ],
  };
}
