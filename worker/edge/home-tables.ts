/**
 * The consistent-hash table that header and ip session affinity pin keys with, one per pool per
 * isolate, rebuilt only when the pool's origins or weights change. Plain data in module scope: a
 * table is a few hundred KB of integers and is the same for every request of that pool version.
 */
import { createHashBalancer, type HashBalancer } from "../balancing/hash.ts";
import type { Pool } from "../config/schema.ts";

interface CachedTable {
  origins: Pool["origins"];
  fingerprint: string;
  table: HashBalancer;
}

const tables = new Map<string, CachedTable>();

/**
 * The affinity hash table of `pool`.
 * @example homeTable(pool).home(clientIp) // "eu-1"
 */
export function homeTable(pool: Pool): HashBalancer {
  const cached = tables.get(pool.id);
  if (cached?.origins === pool.origins) return cached.table;
  const fingerprint = fingerprintOf(pool);
  if (cached && cached.fingerprint === fingerprint) {
    cached.origins = pool.origins;
    return cached.table;
  }
  const table = createHashBalancer(pool.origins);
  tables.set(pool.id, { origins: pool.origins, fingerprint, table });
  return table;
}

/** What a table is built from: origin names and configured weights, in pool order. */
function fingerprintOf(pool: Pool): string {
  let fingerprint = "";
  for (const origin of pool.origins) fingerprint += `|${origin.name}:${origin.weight}`;
  return fingerprint;
}
