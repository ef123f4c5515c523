/**
 * One balancer per pool per isolate, kept while the pool's version and origins stay the same, so
 * stateful algorithms (round robin) keep their position across requests and config refreshes.
 * Plain data in module scope.
 */
import { createBalancer } from "../balancing/index.ts";
import type { Balancer } from "../balancing/types.ts";
import type { Pool } from "../config/schema.ts";

interface CachedBalancer {
  version: number;
  /** The origins list it was last checked against; a refreshed snapshot brings a new array. */
  origins: Pool["origins"];
  fingerprint: string;
  balancer: Balancer;
}

const balancers = new Map<string, CachedBalancer>();

/**
 * The balancer of `pool` in this isolate.
 * @example balancerFor(pool).pick({ candidates, random: Math.random })
 */
export function balancerFor(pool: Pool): Balancer {
  const cached = balancers.get(pool.id);
  if (cached?.origins === pool.origins) return cached.balancer;
  const fingerprint = fingerprintOf(pool);
  if (cached && cached.version === pool.version && cached.fingerprint === fingerprint) {
    cached.origins = pool.origins;
    return cached.balancer;
  }
  const balancer = createBalancer(pool.algorithm, pool.origins);
  balancers.set(pool.id, { version: pool.version, origins: pool.origins, fingerprint, balancer });
  return balancer;
}

/** What a balancer is built from: a store recreated with reused version numbers still differs here. */
function fingerprintOf(pool: Pool): string {
  let fingerprint = pool.algorithm;
  for (const origin of pool.origins) fingerprint += `|${origin.name}:${origin.weight}`;
  return fingerprint;
}
