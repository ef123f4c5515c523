/**
 * The configuration limits (worker/config/limits.ts) checked inside the write transaction, before
 * anything is written: a write that would take the configuration past one is refused whole. Too many
 * pools, load balancers or origins: 400; a serialized document too large: 413. The problem says which
 * limit, its bound and what the configuration would hold.
 */
import {
  type ConfigTotals,
  exceededLimit,
  type LimitExceeded,
  serializedBytes,
} from "../../worker/config/limits.ts";
import type { ResourceKind } from "../../worker/config/resources.ts";
import { problemType } from "../../worker/http/problem.ts";
import type { ConfigTables } from "./sql.ts";
import { type Failure, fail } from "./types.ts";

type Resource = { readonly id: string; readonly origins?: readonly unknown[] };

const WHAT: Record<LimitExceeded["limit"], string> = {
  pools: "pools",
  loadBalancers: "load balancers",
  origins: "origins in all pools",
  documentBytes: "bytes of serialized configuration",
};

/**
 * Refuses a write of one resource (`previous` is what it replaces, null for a new one) that would
 * take the stored configuration past a limit.
 * @example const refused = resourceWithinLimits(w.tables, "pool", spec, current); if (refused) return refused;
 */
export function resourceWithinLimits(
  tables: ConfigTables,
  kind: ResourceKind,
  next: Resource,
  previous: Resource | null,
): Failure | null {
  const totals = tables.totals();
  const count = kind === "pool" ? "pools" : "loadBalancers";
  if (previous === null) totals[count] += 1;
  if (kind === "pool") totals.origins += (next.origins?.length ?? 0) - (previous?.origins?.length ?? 0);
  totals.documentBytes += storedBytes(next) - (previous ? storedBytes(previous) : 0);
  return refusal(exceededLimit(totals));
}

/**
 * Refuses a whole configuration document that exceeds a limit.
 * @example const refused = documentWithinLimits(parsed.value); if (refused) return refused;
 */
export function documentWithinLimits(document: {
  readonly pools: readonly Resource[];
  readonly loadBalancers: readonly Resource[];
}): Failure | null {
  const totals: ConfigTotals = {
    pools: document.pools.length,
    loadBalancers: document.loadBalancers.length,
    origins: document.pools.reduce((sum, pool) => sum + (pool.origins?.length ?? 0), 0),
    documentBytes: 0,
  };
  const counted = exceededLimit(totals);
  if (counted) return refusal(counted);
  for (const resource of [...document.pools, ...document.loadBalancers]) {
    totals.documentBytes += storedBytes(resource);
  }
  return refusal(exceededLimit(totals));
}

/** Bytes of a resource as stored (without its version). */
function storedBytes(resource: Resource): number {
  const { version: _version, ...document } = resource as Resource & { version?: unknown };
  return serializedBytes(document);
}

function refusal(exceeded: LimitExceeded | null): Failure | null {
  if (exceeded === null) return null;
  const { limit, max, actual } = exceeded;
  const status = limit === "documentBytes" ? 413 : 400;
  return fail(
    status,
    `The configuration would hold ${actual} ${WHAT[limit]}; the limit is ${max}. Nothing was changed.`,
    {
      type: problemType("config-limit"),
      title: "Configuration limit exceeded",
      limit,
      max,
      actual,
    },
  );
}
