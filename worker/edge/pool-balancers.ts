/**
 * Per-pool balancing structures of this isolate: the pool's balancer (stateful algorithms such as
 * round robin keep their position across requests and config refreshes) and its consistent-hash
 * table, which the `hash` algorithm and header/ip session affinity share: one table per pool, built
 * on its first lookup. Plain data in module scope.
 *
 * Bounded: entries of pools that left the configuration are dropped when a new configuration is
 * indexed (`forgetPoolBalancers`), and the entries together stay under `BALANCER_BUDGET_BYTES`
 * (counted: hash tables by their typed arrays at full size, the rest per origin); past it the least recently used
 * entries are dropped and rebuilt on demand. docs/memory.md has the figures.
 */

import { createHashBalancer, type HashBalancer } from "../balancing/hash.ts";
import { maglevTableSize } from "../balancing/hash-maglev.ts";
import { createBalancer } from "../balancing/index.ts";
import type { Balancer } from "../balancing/types.ts";
import type { Pool } from "../config/schema.ts";

/** What the entries may hold together: 8 MiB, a quarter of the isolate's 32 MiB heap target. */
export const BALANCER_BUDGET_BYTES = 8 * 1024 * 1024;
/** Counted bytes of an entry besides its hash table: the entry, its fingerprint, per-origin state. */
const ENTRY_BYTES = 512;
const BYTES_PER_ORIGIN = 96;

interface PoolBalancers {
  version: number;
  /** The origins list it was last checked against; a refreshed snapshot brings a new array. */
  origins: Pool["origins"];
  fingerprint: string;
  balancer: Balancer;
  /** The pool's hash table: the balancer itself for `hash` pools, else built when affinity asks. */
  table: HashBalancer | null;
  /**
   * While a drain keeps sessions: the hash table of the weights before the drain (header and ip
   * affinity find a key's home there), with the weights it was built from.
   */
  drainTable: { weights: string; table: HashBalancer } | null;
  /** Counted bytes, the hash table's included at its full size as soon as the entry has one. */
  bytes: number;
  /** Last use, on the isolate's use counter (least recently used entries go first). */
  used: number;
}

const entries = new Map<string, PoolBalancers>();
let uses = 0;
let heldBytes = 0;
/** Pools whose entry the budget dropped (until rebuilt or gone from the configuration). */
const evicted = new Set<string>();
let evictions = 0;
let rebuilds = 0;

/**
 * The balancer of `pool` in this isolate.
 * @example balancerFor(pool).pick({ candidates, random: Math.random })
 */
export function balancerFor(pool: Pool): Balancer {
  return entryOf(pool).balancer;
}

/**
 * The consistent-hash table of `pool`, shared by the `hash` algorithm and key-based session affinity.
 * @example hashTableFor(pool).home(clientIp) // "eu-1"
 */
export function hashTableFor(pool: Pool): HashBalancer {
  const entry = entryOf(pool);
  if (!entry.table) {
    entry.table = createHashBalancer(pool.origins);
    const bytes = tableBytes(pool);
    entry.bytes += bytes;
    heldBytes += bytes;
    settle();
  }
  return entry.table;
}

/**
 * The consistent-hash table of `pool` with the weights `before` its drains (worker/health/drain.ts),
 * kept with the pool's entry (per pool version) until the weights change: a drain that keeps sessions
 * does not rebuild it per request. Counted in the budget like the pool's own table.
 * @example preDrainTableFor(pool, preDrainWeights(pool, snapshot, 300, now)!).home(key)
 */
export function preDrainTableFor(
  pool: Pool,
  before: readonly { name: string; weight: number }[],
): HashBalancer {
  const entry = entryOf(pool);
  let weights = "";
  for (const origin of before) weights += `|${origin.name}:${origin.weight}`;
  if (entry.drainTable?.weights !== weights) {
    const held = entry.bytes;
    if (entry.drainTable) entry.bytes -= tableBytes(pool) + entry.drainTable.weights.length * 2;
    entry.drainTable = { weights, table: createHashBalancer(before) };
    entry.bytes += tableBytes(pool) + weights.length * 2;
    heldBytes += entry.bytes - held;
    settle();
  }
  return entry.drainTable.table;
}

/** Drops the entries of pools that are not in `poolIds` (the pools of the configuration now served). */
export function forgetPoolBalancers(poolIds: ReadonlySet<string>): void {
  for (const id of entries.keys()) if (!poolIds.has(id)) entries.delete(id);
  for (const id of evicted) if (!poolIds.has(id)) evicted.delete(id);
  recount();
}

export interface PoolBalancerStats {
  entries: number;
  /** Counted bytes, hash tables included. */
  bytes: number;
  hashTables: number;
  /** Entries the byte budget dropped since the isolate started. */
  evictions: number;
  /** Entries built again after the budget had dropped them. */
  rebuilds: number;
}

/** What this isolate holds: entries, and counted bytes (hash tables included). */
export function poolBalancerStats(): PoolBalancerStats {
  recount();
  let hashTables = 0;
  for (const entry of entries.values()) {
    if (entry.table) hashTables++;
    if (entry.drainTable) hashTables++;
  }
  return { entries: entries.size, bytes: heldBytes, hashTables, evictions, rebuilds };
}

function entryOf(pool: Pool): PoolBalancers {
  const cached = entries.get(pool.id);
  if (cached?.origins === pool.origins) {
    cached.used = ++uses;
    return cached;
  }
  const fingerprint = fingerprintOf(pool);
  if (cached && cached.version === pool.version && cached.fingerprint === fingerprint) {
    cached.origins = pool.origins;
    cached.used = ++uses;
    return cached;
  }
  if (evicted.delete(pool.id)) rebuilds++;
  const balancer = createBalancer(pool.algorithm, pool.origins);
  const entry: PoolBalancers = {
    version: pool.version,
    origins: pool.origins,
    fingerprint,
    balancer,
    table: pool.algorithm === "hash" ? (balancer as HashBalancer) : null,
    drainTable: null,
    bytes:
      ENTRY_BYTES +
      fingerprint.length * 2 +
      pool.origins.length * BYTES_PER_ORIGIN +
      (pool.algorithm === "hash" ? tableBytes(pool) : 0),
    used: ++uses,
  };
  heldBytes += entry.bytes - (cached?.bytes ?? 0);
  entries.set(pool.id, entry);
  settle();
  return entry;
}

/**
 * Past the budget, drops least recently used entries (never the one just used): one pass over the
 * entries per entry dropped, no sort and no copy, so a request that evicts pays little beyond the
 * build it was making anyway.
 */
function settle(): void {
  while (heldBytes > BALANCER_BUDGET_BYTES) {
    let oldestId: string | undefined;
    let oldest: PoolBalancers | undefined;
    for (const [id, entry] of entries) {
      if (entry.used !== uses && (!oldest || entry.used < oldest.used)) {
        oldestId = id;
        oldest = entry;
      }
    }
    if (oldestId === undefined || !oldest) return;
    entries.delete(oldestId);
    heldBytes -= oldest.bytes;
    evicted.add(oldestId);
    evictions++;
  }
}

function recount(): void {
  heldBytes = 0;
  for (const entry of entries.values()) heldBytes += entry.bytes;
}

/** What the pool's hash table takes once built (it is built on its first lookup). */
function tableBytes(pool: Pool): number {
  return maglevTableSize(pool.origins.length) * 2 + pool.origins.length * 4;
}

/** What a balancer is built from: a store recreated with reused version numbers still differs here. */
function fingerprintOf(pool: Pool): string {
  let fingerprint = pool.algorithm;
  for (const origin of pool.origins) fingerprint += `|${origin.name}:${origin.weight}`;
  return fingerprint;
}
