/**
 * What the read token may see of the configuration: everything but secrets. Header values in
 * `origins[].headers` and `healthCheck.headers` (credentials for origins, often) are replaced by
 * `"<redacted>"`; the names stay, so a reader sees that a header is set. The admin token sees all.
 * A write containing the placeholder is refused by the schema (config/fields.ts).
 */
import { REDACTED } from "../config/fields.ts";
import type { Access } from "./context.ts";

type Headers = Readonly<Record<string, string>>;

interface PoolLike {
  readonly origins?: readonly { readonly headers?: Headers }[];
  readonly healthCheck?: { readonly headers?: Headers } | null;
}

interface DocumentLike {
  readonly pools?: readonly PoolLike[];
}

/** A copy of `headers` with every value replaced by the placeholder. */
function hidden(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) out[name] = REDACTED;
  return out;
}

/**
 * The pool as `access` may see it.
 * @example c.json(poolFor(c.var.access, pool))
 */
export function poolFor<T extends PoolLike>(access: Access, pool: T): T {
  if (access === "write") return pool;
  return {
    ...pool,
    ...(pool.origins
      ? {
          origins: pool.origins.map((origin) =>
            origin.headers ? { ...origin, headers: hidden(origin.headers) } : origin,
          ),
        }
      : {}),
    ...(pool.healthCheck?.headers
      ? { healthCheck: { ...pool.healthCheck, headers: hidden(pool.healthCheck.headers) } }
      : {}),
  };
}

/**
 * A resource (pool or load balancer) as `access` may see it; load balancers hold no secrets.
 * @example c.json(resourceFor(c.var.access, "pool", resource))
 */
export function resourceFor<T>(access: Access, kind: string, resource: T): T {
  return kind === "pool" ? (poolFor(access, resource as PoolLike) as T) : resource;
}

/**
 * A whole configuration document as `access` may see it.
 * @example c.json(documentFor(c.var.access, { version, pools, loadBalancers }))
 */
export function documentFor<T extends DocumentLike>(access: Access, document: T): T {
  if (access === "write" || !document.pools) return document;
  return { ...document, pools: document.pools.map((pool) => poolFor(access, pool)) };
}
