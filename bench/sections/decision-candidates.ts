/**
 * The other per-request step before a pick: the pool's usable origins as candidates
 * (worker/health/edge-view.ts `poolCandidates`), from the pool configuration, the PoolState snapshot and
 * this isolate's own counters.
 */
import type { Pool } from "../../worker/config/schema.ts";
import { PoolSchema } from "../../worker/config/schema.ts";
import type { OriginSnapshot, PoolSnapshot } from "../../worker/health/types.ts";
import type { Table } from "../lib/report.ts";
import { duration } from "../lib/stats.ts";
import { type MicroOptions, nsPerOp } from "./microbench.ts";

const SIZES = [3, 100, 1000] as const;

type EdgeView = typeof import("../../worker/health/edge-view.ts");

function makePool(size: number): { pool: Pool; snapshot: PoolSnapshot } {
  const origins = Array.from({ length: size }, (_, i) => ({
    name: `origin-${i + 1}`,
    address: `https://o${i + 1}.example.net`,
    weight: 1 + (i % 5),
  }));
  const pool: Pool = { ...PoolSchema.parse({ id: "bench", origins }), version: 1 };
  const snapshotOrigins: Record<string, OriginSnapshot> = {};
  for (const [i, origin] of origins.entries()) {
    snapshotOrigins[origin.name] = {
      name: origin.name,
      target: origin.address,
      passingSince: 0,
      state: "healthy",
      healthy: true,
      check: "healthy",
      healthySince: 0,
      ejectedUntil: null,
      inflight: i % 7,
      latencyMs: 10 + (i % 13),
      lastCheckAt: 0,
      lastError: null,
      consecutiveFailures: 0,
    };
  }
  const snapshot: PoolSnapshot = {
    pool: "bench",
    version: 1,
    healthy: true,
    healthyOrigins: size,
    origins: snapshotOrigins,
    at: 0,
  };
  return { pool, snapshot };
}

/** Measures `poolCandidates` for pools of 3, 100 and 1000 healthy origins; skips with a note if it is missing. */
export async function measureCandidates(micro: MicroOptions): Promise<{ tables: Table[]; notes: string[] }> {
  let edgeView: EdgeView;
  try {
    edgeView = await import("../../worker/health/edge-view.ts");
  } catch (error) {
    return { tables: [], notes: [`Usable candidates: not measured: ${(error as Error).message}`] };
  }
  const local = { inflightDelta: 1, latencyMs: 12, ejectedUntil: null };
  const now = 1_000_000;
  const cells: string[] = [];
  for (const size of SIZES) {
    const { pool, snapshot } = makePool(size);
    const input = { pool, snapshot, now, local: () => local };
    cells.push(duration(nsPerOp(() => edgeView.poolCandidates(input).candidates.length, micro)));
  }
  return {
    tables: [
      {
        caption:
          "usable candidates of a pool per request (poolCandidates: health, ejections, capacity; all origins usable)",
        columns: ["step", "3 origins", "100 origins", "1000 origins"],
        rows: [["poolCandidates", ...cells]],
      },
    ],
    notes: [],
  };
}
