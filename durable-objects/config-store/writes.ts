/**
 * The ConfigStore's write rules, run synchronously inside one `transactionSync`: validate in full,
 * check preconditions and cross-resource rules, then write the resource, the new global version,
 * the audit entry and (for pools) the pending PoolState notification together.
 */

import { changedFields, diffConfig, isEmptyChange, sameResource } from "../../worker/config/diff.ts";
import { parseConfigDocument } from "../../worker/config/document.ts";
import { applyMergePatch, isJsonObject } from "../../worker/config/merge-patch.ts";
import { loadBalancersUsingPool, missingPoolErrors, routeConflict } from "../../worker/config/references.ts";
import {
  KIND_LABEL,
  type LoadBalancerSpec,
  type PoolSpec,
  parseResource,
  type ResourceKind,
  withoutVersion,
} from "../../worker/config/resources.ts";
import { type IfMatch, ifMatchHolds } from "../../worker/http/preconditions.ts";
import { problemType } from "../../worker/http/problem.ts";
import { documentWithinLimits, resourceWithinLimits } from "./bounds.ts";
import type { ConfigTables } from "./sql.ts";
import {
  type AuditAction,
  type ConfigReplace,
  type Failure,
  fail,
  type StoredResource,
  type StoreResult,
} from "./types.ts";

export interface WriteContext {
  tables: ConfigTables;
  now: number;
}

type Spec = PoolSpec | LoadBalancerSpec;
type ResourceOutcome = StoreResult<{ resource: StoredResource; changed: boolean }>;

/** Creates a resource; 409 when the id exists. */
export function createResource(w: WriteContext, kind: ResourceKind, input: unknown): ResourceOutcome {
  const parsed = parseResource(kind, input);
  if (!parsed.ok) return invalid(parsed.errors);
  const spec = parsed.value;
  if (w.tables.get(kind, spec.id)) {
    return fail(409, `A ${KIND_LABEL[kind]} with id "${spec.id}" already exists.`, {
      type: problemType("already-exists"),
    });
  }
  const rule = checkCrossRules(w, kind, spec) ?? resourceWithinLimits(w.tables, kind, spec, null);
  if (rule) return rule;
  return { ok: true, resource: commit(w, kind, spec, null, "create", "resource"), changed: true };
}

/** Replaces a resource; missing optional fields take their defaults. */
export function replaceResource(
  w: WriteContext,
  kind: ResourceKind,
  id: string,
  input: unknown,
  ifMatch: IfMatch | undefined,
): ResourceOutcome {
  const current = existing(w, kind, id, ifMatch);
  if (!current.ok) return current;
  if (isJsonObject(input) && Object.hasOwn(input, "id") && input.id !== id) {
    return invalid([{ path: "id", message: `must equal the id in the path ("${id}") or be left out` }]);
  }
  return update(w, kind, current.resource, isJsonObject(input) ? { ...input, id } : input, "replace");
}

/** Applies a JSON merge patch to the stored resource, then validates the result in full. */
export function patchResource(
  w: WriteContext,
  kind: ResourceKind,
  id: string,
  patch: unknown,
  ifMatch: IfMatch | undefined,
): ResourceOutcome {
  const current = existing(w, kind, id, ifMatch);
  if (!current.ok) return current;
  if (isJsonObject(patch) && Object.hasOwn(patch, "id") && patch.id !== id) {
    return invalid([{ path: "id", message: "is immutable; a patch cannot change or remove it" }]);
  }
  const merged = applyMergePatch(withoutVersion(current.resource), withoutVersion(patch));
  return update(w, kind, current.resource, merged, "update");
}

/** Deletes a resource; a pool that a load balancer names cannot be deleted (409). */
export function deleteResource(
  w: WriteContext,
  kind: ResourceKind,
  id: string,
  ifMatch: IfMatch | undefined,
): StoreResult<{ id: string }> {
  const current = existing(w, kind, id, ifMatch);
  if (!current.ok) return current;
  if (kind === "pool") {
    const users = loadBalancersUsingPool(id, w.tables.list("load_balancer"));
    if (users.length > 0) {
      return fail(
        409,
        `Pool "${id}" is used by load balancer${users.length > 1 ? "s" : ""} ${quoteList(users)}.`,
        {
          type: problemType("pool-in-use"),
          loadBalancers: users,
        },
      );
    }
  }
  const configVersion = w.tables.version() + 1;
  w.tables.delete(kind, id);
  w.tables.retire(kind, id, current.resource.version);
  w.tables.setVersion(configVersion, w.now);
  audit(w, kind, id, "delete", current.resource.version, null, configVersion, "resource", "deleted");
  if (kind === "pool") w.tables.enqueueNotification(id, configVersion, w.now);
  return { ok: true, id };
}

/** Replaces the whole configuration, all or nothing; a dry run only reports what would change. */
export function replaceConfig(
  w: WriteContext,
  input: unknown,
  ifMatch: IfMatch | undefined,
  dryRun: boolean,
): StoreResult<Omit<ConfigReplace, "snapshot">> {
  const version = w.tables.version();
  if (!ifMatchHolds(ifMatch, version)) return preconditionFailed("the configuration", version);
  const parsed = parseConfigDocument(input);
  if (!parsed.ok) return invalid(parsed.errors);
  const bound = documentWithinLimits(parsed.value);
  if (bound) return bound;
  const pools = w.tables.list("pool");
  const loadBalancers = w.tables.list("load_balancer");
  const changes = diffConfig({ pools, loadBalancers }, parsed.value);
  if (dryRun || isEmptyChange(changes)) return { ok: true, version, dryRun, changes };

  const next = version + 1;
  const apply = (kind: ResourceKind, before: StoredResource[], after: Spec[], list: typeof changes.pools) => {
    const old = new Map(before.map((item) => [item.id, item]));
    const changed = new Set([...list.created, ...list.updated]);
    for (const spec of after) {
      const previous = old.get(spec.id) ?? null;
      if (changed.has(spec.id)) {
        write(w, kind, spec, previous, next, previous ? "replace" : "create", "config");
      }
    }
    for (const id of list.deleted) {
      const version = old.get(id)?.version ?? 0;
      w.tables.delete(kind, id);
      w.tables.retire(kind, id, version);
      audit(w, kind, id, "delete", version, null, next, "config", "deleted");
      if (kind === "pool") w.tables.enqueueNotification(id, next, w.now);
    }
  };
  apply("pool", pools, parsed.value.pools, changes.pools);
  apply("load_balancer", loadBalancers, parsed.value.loadBalancers, changes.loadBalancers);
  w.tables.setVersion(next, w.now);
  return { ok: true, version: next, dryRun, changes };
}

function update(
  w: WriteContext,
  kind: ResourceKind,
  current: StoredResource,
  input: unknown,
  action: AuditAction,
): ResourceOutcome {
  const parsed = parseResource(kind, input);
  if (!parsed.ok) return invalid(parsed.errors);
  const spec = parsed.value;
  const rule = checkCrossRules(w, kind, spec);
  if (rule) return rule;
  if (sameResource(current, spec)) return { ok: true, resource: current, changed: false };
  const bound = resourceWithinLimits(w.tables, kind, spec, current);
  if (bound) return bound;
  return { ok: true, resource: commit(w, kind, spec, current, action, "resource"), changed: true };
}

/** The stored resource, or 404; 412 when `If-Match` names another version. */
function existing(
  w: WriteContext,
  kind: ResourceKind,
  id: string,
  ifMatch: IfMatch | undefined,
): StoreResult<{ resource: StoredResource }> {
  const resource = w.tables.get(kind, id);
  if (!resource) return notFound(kind, id);
  if (!ifMatchHolds(ifMatch, resource.version)) {
    return preconditionFailed(`${KIND_LABEL[kind]} "${id}"`, resource.version);
  }
  return { ok: true, resource };
}

/** Load balancers must name existing pools and must not share a hostname and path prefix. */
function checkCrossRules(w: WriteContext, kind: ResourceKind, spec: Spec): Failure | null {
  if (kind !== "load_balancer") return null;
  const lb = spec as LoadBalancerSpec;
  const missing = missingPoolErrors(lb, (id) => w.tables.get("pool", id) !== null);
  if (missing.length > 0) return invalid(missing);
  const other = routeConflict(lb, w.tables.list("load_balancer"));
  if (other !== undefined) {
    return fail(
      409,
      `Load balancer "${other}" already serves hostname "${lb.hostname}" with pathPrefix "${lb.pathPrefix}".`,
      { type: problemType("route-conflict"), loadBalancer: other },
    );
  }
  return null;
}

function commit(
  w: WriteContext,
  kind: ResourceKind,
  spec: Spec,
  previous: StoredResource | null,
  action: AuditAction,
  via: "resource" | "config",
): StoredResource {
  const configVersion = w.tables.version() + 1;
  const resource = write(w, kind, spec, previous, configVersion, action, via);
  w.tables.setVersion(configVersion, w.now);
  return resource;
}

/**
 * A resource's own version: 1 when its id is new, else one more than the last version the id had
 * (deleted resources included), so versions count the resource's changes and never repeat.
 */
function nextVersion(
  w: WriteContext,
  kind: ResourceKind,
  id: string,
  previous: StoredResource | null,
): number {
  return (previous?.version ?? w.tables.retiredVersion(kind, id)) + 1;
}

function write(
  w: WriteContext,
  kind: ResourceKind,
  spec: Spec,
  previous: StoredResource | null,
  configVersion: number,
  action: AuditAction,
  via: "resource" | "config",
): StoredResource {
  const version = nextVersion(w, kind, spec.id, previous);
  const resource = { ...spec, version } as StoredResource;
  w.tables.put(kind, resource, w.now);
  const change = previous
    ? `changed ${changedFields(previous, spec).join(", ")}`
    : describeCreated(kind, spec);
  audit(w, kind, spec.id, action, previous?.version ?? null, version, configVersion, via, change);
  if (kind === "pool") w.tables.enqueueNotification(spec.id, configVersion, w.now);
  return resource;
}

function audit(
  w: WriteContext,
  kind: ResourceKind,
  id: string,
  action: AuditAction,
  versionFrom: number | null,
  versionTo: number | null,
  configVersion: number,
  via: "resource" | "config",
  change: string,
): void {
  w.tables.appendAudit({ at: w.now, action, kind, id, versionFrom, versionTo, configVersion, via, change });
}

function describeCreated(kind: ResourceKind, spec: Spec): string {
  if (kind === "pool") {
    const pool = spec as PoolSpec;
    return `created with ${pool.origins.length} origin${pool.origins.length === 1 ? "" : "s"} (${pool.algorithm})`;
  }
  const lb = spec as LoadBalancerSpec;
  return `created for ${lb.hostname}${lb.pathPrefix} -> ${lb.pools.join(", ")}`;
}

function invalid(errors: { path: string; message: string }[]): Failure {
  const count = errors.length;
  return fail(400, `The request has ${count} invalid field${count === 1 ? "" : "s"}; see errors.`, {
    type: problemType("validation"),
    title: "Validation failed",
    errors,
  });
}

function notFound(kind: ResourceKind, id: string): Failure {
  return fail(404, `No ${KIND_LABEL[kind]} with id "${id}".`);
}

function preconditionFailed(what: string, version: number): Failure {
  return fail(
    412,
    `If-Match does not match the current version of ${what} ("${version}"); nothing was changed.`,
    {
      currentVersion: version,
    },
  );
}

function quoteList(ids: readonly string[]): string {
  return ids.map((id) => `"${id}"`).join(", ");
}
