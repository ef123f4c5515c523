/**
 * The whole configuration as one document (`GET`/`PUT /config`): validated in full, ids unique per
 * kind, every pool reference resolvable within the document, no two load balancers on the same
 * hostname and path prefix. Pure: no runtime imports.
 */
import type { FieldError } from "../http/problem.ts";
import { formatPath } from "./issue-path.ts";
import { isJsonObject } from "./merge-patch.ts";
import { missingPoolErrors, routeKey } from "./references.ts";
import {
  type LoadBalancerSpec,
  type Parsed,
  type PoolSpec,
  parseResource,
  type ResourceKind,
  type ResourceTypes,
} from "./resources.ts";

export interface ConfigDocumentSpec {
  pools: PoolSpec[];
  loadBalancers: LoadBalancerSpec[];
}

const MAX_RESOURCES = 10_000;
const FIELDS = new Set(["pools", "loadBalancers", "version"]);

/**
 * Parses a whole configuration document; `version` members (top level and per resource) are ignored.
 * @example parseConfigDocument({ pools: [], loadBalancers: [] }) // { ok: true, value: {...} }
 */
export function parseConfigDocument(input: unknown): Parsed<ConfigDocumentSpec> {
  if (!isJsonObject(input)) return { ok: false, errors: [{ path: "", message: "must be an object" }] };
  const errors: FieldError[] = [];
  for (const key of Object.keys(input)) {
    if (!FIELDS.has(key)) errors.push({ path: formatPath([key]), message: "unknown field" });
  }
  const pools = parseList("pool", "pools", input.pools, errors);
  const loadBalancers = parseList("load_balancer", "loadBalancers", input.loadBalancers, errors);
  if (errors.length > 0) return { ok: false, errors };

  const poolIds = new Set(pools.map((pool) => pool.id));
  const routes = new Map<string, number>();
  loadBalancers.forEach((lb, i) => {
    errors.push(...missingPoolErrors(lb, (id) => poolIds.has(id), ["loadBalancers", i]));
    const key = routeKey(lb);
    const first = routes.get(key);
    if (first === undefined) routes.set(key, i);
    else {
      errors.push({
        path: formatPath(["loadBalancers", i, "pathPrefix"]),
        message: `hostname "${lb.hostname}" with pathPrefix "${lb.pathPrefix}" is already used by loadBalancers[${first}] ("${loadBalancers[first]?.id}")`,
      });
    }
  });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { pools, loadBalancers } };
}

function parseList<K extends ResourceKind>(
  kind: K,
  field: string,
  input: unknown,
  errors: FieldError[],
): ResourceTypes[K]["spec"][] {
  const items: ResourceTypes[K]["spec"][] = [];
  if (input === undefined) return items;
  if (!Array.isArray(input)) {
    errors.push({ path: field, message: "must be an array" });
    return items;
  }
  if (input.length > MAX_RESOURCES) {
    errors.push({ path: field, message: `must have at most ${MAX_RESOURCES} items` });
    return items;
  }
  const seen = new Map<string, number>();
  input.forEach((raw, i) => {
    const parsed = parseResource(kind, raw, [field, i]);
    if (!parsed.ok) {
      errors.push(...parsed.errors);
      return;
    }
    const first = seen.get(parsed.value.id);
    if (first !== undefined) {
      errors.push({
        path: formatPath([field, i, "id"]),
        message: `duplicate id "${parsed.value.id}" (also ${field}[${first}])`,
      });
    } else seen.set(parsed.value.id, i);
    items.push(parsed.value);
  });
  return items;
}
