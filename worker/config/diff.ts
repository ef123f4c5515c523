/**
 * What a configuration change changes: created, updated and deleted ids per kind, and which fields
 * of one resource differ (for the audit log). Pure: no runtime imports.
 */
import { formatPath } from "./issue-path.ts";
import { isJsonObject } from "./merge-patch.ts";

/** Ids per outcome, each list sorted; unchanged resources are not listed. */
export interface KindChanges {
  created: string[];
  updated: string[];
  deleted: string[];
}

export interface ConfigChanges {
  pools: KindChanges;
  loadBalancers: KindChanges;
}

interface Identified {
  id: string;
}

/** True when the two resources are equal, ignoring `version` and the order of object members. */
export function sameResource(a: object, b: object): boolean {
  return canonicalJson(withoutVersion(a)) === canonicalJson(withoutVersion(b));
}

/**
 * Compares two lists of resources by id.
 * @example diffResources([{ id: "a" }], [{ id: "b" }]) // { created: ["b"], updated: [], deleted: ["a"] }
 */
export function diffResources<T extends Identified>(before: readonly T[], after: readonly T[]): KindChanges {
  const old = new Map(before.map((item) => [item.id, item]));
  const next = new Map(after.map((item) => [item.id, item]));
  const changes: KindChanges = { created: [], updated: [], deleted: [] };
  for (const [id, item] of next) {
    const previous = old.get(id);
    if (!previous) changes.created.push(id);
    else if (!sameResource(previous, item)) changes.updated.push(id);
  }
  for (const id of old.keys()) if (!next.has(id)) changes.deleted.push(id);
  for (const list of [changes.created, changes.updated, changes.deleted]) list.sort(compareIds);
  return changes;
}

/** The changes that turn one whole configuration into another. */
export function diffConfig(
  before: { pools: readonly Identified[]; loadBalancers: readonly Identified[] },
  after: { pools: readonly Identified[]; loadBalancers: readonly Identified[] },
): ConfigChanges {
  return {
    pools: diffResources(before.pools, after.pools),
    loadBalancers: diffResources(before.loadBalancers, after.loadBalancers),
  };
}

/** True when the change set changes nothing. */
export function isEmptyChange(changes: ConfigChanges): boolean {
  return [changes.pools, changes.loadBalancers].every(
    (kind) => kind.created.length + kind.updated.length + kind.deleted.length === 0,
  );
}

/**
 * The paths of the fields that differ between two versions of a resource, at most `limit` of them
 * (then "…" ends the list). Arrays of different length count as one changed field.
 * @example changedFields({ a: 1, b: [1] }, { a: 2, b: [1] }) // ["a"]
 */
export function changedFields(before: unknown, after: unknown, limit = 8): string[] {
  const found: string[] = [];
  collectChanges(withoutVersion(before), withoutVersion(after), [], found, limit + 1);
  return found.length > limit ? [...found.slice(0, limit), "…"] : found;
}

function collectChanges(
  before: unknown,
  after: unknown,
  path: PropertyKey[],
  found: string[],
  limit: number,
): void {
  if (found.length >= limit) return;
  if (isJsonObject(before) && isJsonObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    for (const key of keys) collectChanges(before[key], after[key], [...path, key], found, limit);
  } else if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    for (let i = 0; i < before.length; i++) collectChanges(before[i], after[i], [...path, i], found, limit);
  } else if (canonicalJson(before) !== canonicalJson(after)) {
    found.push(formatPath(path) || "(whole resource)");
  }
}

/** Ids sort by code unit, the same order as SQLite's default BINARY collation. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function withoutVersion(value: unknown): unknown {
  if (!isJsonObject(value) || !("version" in value)) return value;
  const { version: _version, ...rest } = value;
  return rest;
}

/** JSON with object members sorted, so equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  return (
    JSON.stringify(value, (_key, item: unknown) => {
      if (!isJsonObject(item)) return item;
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(item).sort()) {
        Object.defineProperty(sorted, key, { value: item[key], enumerable: true });
      }
      return sorted;
    }) ?? "undefined"
  );
}
