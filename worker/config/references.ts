/**
 * Rules that span resources: a load balancer names only existing pools, a pool in use cannot be
 * deleted, and no two load balancers claim the same hostname and path prefix. Pure: no runtime imports.
 */
import type { FieldError } from "../http/problem.ts";
import { formatPath } from "./issue-path.ts";
import type { LoadBalancerSpec } from "./resources.ts";

type LoadBalancerRefs = Pick<LoadBalancerSpec, "pools" | "fallbackPool" | "regionPools" | "countryPools"> &
  Partial<Pick<LoadBalancerSpec, "rules" | "mirror">>;

/**
 * Every pool id a load balancer names, with where it names it.
 * @example poolReferences(lb) // [{ path: ["pools", 0], poolId: "web-eu" }, ...]
 */
export function poolReferences(lb: LoadBalancerRefs): { path: PropertyKey[]; poolId: string }[] {
  const refs: { path: PropertyKey[]; poolId: string }[] = [];
  lb.pools.forEach((poolId, i) => {
    refs.push({ path: ["pools", i], poolId });
  });
  if (lb.fallbackPool !== null) refs.push({ path: ["fallbackPool"], poolId: lb.fallbackPool });
  for (const field of ["regionPools", "countryPools"] as const) {
    for (const [code, ids] of Object.entries(lb[field])) {
      ids.forEach((poolId, i) => {
        refs.push({ path: [field, code, i], poolId });
      });
    }
  }
  lb.rules?.forEach((rule, r) => {
    rule.then.pools?.forEach((poolId, i) => {
      refs.push({ path: ["rules", r, "then", "pools", i], poolId });
    });
  });
  if (lb.mirror) refs.push({ path: ["mirror", "pool"], poolId: lb.mirror.pool });
  return refs;
}

/** One error per reference to a pool that does not exist, paths under `prefix`. */
export function missingPoolErrors(
  lb: LoadBalancerRefs,
  poolExists: (id: string) => boolean,
  prefix: readonly PropertyKey[] = [],
): FieldError[] {
  return poolReferences(lb)
    .filter((ref) => !poolExists(ref.poolId))
    .map((ref) => ({
      path: formatPath([...prefix, ...ref.path]),
      message: `no pool "${ref.poolId}" exists`,
    }));
}

/** Ids of the load balancers that name the pool anywhere, sorted. */
export function loadBalancersUsingPool(
  poolId: string,
  loadBalancers: readonly (LoadBalancerRefs & { id: string })[],
): string[] {
  return loadBalancers
    .filter((lb) => poolReferences(lb).some((ref) => ref.poolId === poolId))
    .map((lb) => lb.id)
    .sort();
}

/** The key under which a load balancer claims traffic; two load balancers may not share one. */
export function routeKey(lb: Pick<LoadBalancerSpec, "hostname" | "pathPrefix">): string {
  return `${lb.hostname}${lb.pathPrefix}`;
}

/** The other load balancer (by id) that already claims the same hostname and path prefix, if any. */
export function routeConflict(
  lb: Pick<LoadBalancerSpec, "id" | "hostname" | "pathPrefix">,
  others: readonly Pick<LoadBalancerSpec, "id" | "hostname" | "pathPrefix">[],
): string | undefined {
  return others.find(
    (other) => other.id !== lb.id && other.hostname === lb.hostname && other.pathPrefix === lb.pathPrefix,
  )?.id;
}
