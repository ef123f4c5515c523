/**
 * How a load balancer with split steering (`random`, `hash`) divides its traffic now: each pool's
 * share of new requests (`random`) or of clients (`hash`), given which pools can serve. It follows
 * steering.ts: `random` draws again among the pools left, in proportion to `poolWeights`, so a pool
 * that cannot serve gives its share to the others in proportion; `hash` keeps every client's hash
 * over all the pools, so a pool that cannot serve gives its clients to the first other pool, in
 * configured order, that can. Under `random`, pools of weight 0 are a last resort, in configured
 * order. A request's `poolOverrideHeader` is not counted. Pure.
 */
import type { LoadBalancer } from "../config/schema.ts";
import { splitWeight } from "./hash-split.ts";

export interface SplitShare {
  readonly pool: string;
  /** Share of the load balancer's traffic, in percent (one decimal). */
  readonly percent: number;
}

/**
 * The pools' shares, largest first, for `random` and `hash` steering; null for other steering; empty
 * when no pool can serve (the fallback pool, if any, takes everything).
 * @example splitShares(lb, (id) => id !== "canary") // [{ pool: "stable", percent: 100 }]
 */
export function splitShares(
  loadBalancer: LoadBalancer,
  canServe: (pool: string) => boolean,
): SplitShare[] | null {
  const { steering, pools } = loadBalancer;
  if (steering !== "random" && steering !== "hash") return null;
  const weights = pools.map((id) => splitWeight(loadBalancer.poolWeights, id));
  const shares = new Map<string, number>();
  const add = (pool: string, share: number): void => {
    shares.set(pool, (shares.get(pool) ?? 0) + share);
  };
  if (steering === "random") {
    const live = pools.flatMap((id, i) => ((weights[i] ?? 0) > 0 && canServe(id) ? [i] : []));
    const total = live.reduce((sum, i) => sum + (weights[i] ?? 0), 0);
    if (total > 0) for (const i of live) add(pools[i] as string, (weights[i] ?? 0) / total);
    else {
      const lastResort = pools.find((id, i) => weights[i] === 0 && canServe(id));
      if (lastResort !== undefined) add(lastResort, 1);
    }
  } else {
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    if (total === 0) {
      const first = pools.find(canServe);
      if (first !== undefined) add(first, 1);
    }
    pools.forEach((id, i) => {
      const weight = weights[i] ?? 0;
      if (weight === 0) return;
      const target = canServe(id) ? id : pools.find((other) => other !== id && canServe(other));
      if (target !== undefined) add(target, weight / total);
    });
  }
  return [...shares]
    .map(([pool, share]) => ({ pool, percent: Math.round(share * 1000) / 10 }))
    .sort((a, b) => b.percent - a.percent || pools.indexOf(a.pool) - pools.indexOf(b.pool));
}
