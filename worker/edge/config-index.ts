/**
 * Per-version lookup structures over a configuration snapshot, built once and reused by every
 * request that sees the same snapshot. Pure: module scope holds plain data only.
 */
import type { ConfigSnapshot, Pool } from "../config/schema.ts";
import { buildRouteIndex, type RouteIndex } from "../routing/match.ts";

export interface ConfigIndex {
  readonly version: number;
  readonly routes: RouteIndex;
  readonly pools: ReadonlyMap<string, Pool>;
}

let cached: { snapshot: ConfigSnapshot; index: ConfigIndex } | null = null;

/**
 * The index of `snapshot`, built once per snapshot. The edge cache hands out the same snapshot
 * object until a new version arrives, so keying on the object keys on the version, and a store that
 * was recreated with a reused version number still gets a fresh index.
 * @example const { routes, pools } = indexConfig(await getConfig(env, ctx));
 */
export function indexConfig(snapshot: ConfigSnapshot): ConfigIndex {
  if (cached && cached.snapshot === snapshot) return cached.index;
  const index: ConfigIndex = {
    version: snapshot.version,
    routes: buildRouteIndex(snapshot.loadBalancers),
    pools: new Map(snapshot.pools.map((pool) => [pool.id, pool])),
  };
  cached = { snapshot, index };
  return index;
}
