/**
 * Renders what `apply` changes: one block per created, changed or deleted resource, with the
 * fields that change (`origins[eu-1].weight: 1 -> 0`), then a one-line summary. Pure. The change
 * sets themselves, and the diff the CLI falls back to without a dry run, are the configuration
 * model's own (worker/config/diff.ts), so the CLI and the API cannot disagree on what changed.
 * A pool's header values are secrets and a plan often ends up in a CI log: it names the header
 * that changes, never its value.
 */
import { type ConfigChanges, isEmptyChange, type KindChanges } from "../../worker/config/diff.ts";
import { REDACTED } from "../../worker/config/fields.ts";
import { paint } from "./format.ts";

export { diffResources as diffIds, isEmptyChange as isEmpty } from "../../worker/config/diff.ts";
export type { ConfigChanges, KindChanges };

export type ResourceKind = "pool" | "loadBalancer";

export interface FieldChange {
  path: string;
  /** `undefined` when the field is new. */
  before: unknown;
  /** `undefined` when the field goes away. */
  after: unknown;
}

interface Identified {
  id: string;
  [field: string]: unknown;
}

/** The two whole documents, when known, so changed resources can show their changed fields. */
export interface PlanDocuments {
  before: { pools: Identified[]; loadBalancers: Identified[] };
  after: { pools: Identified[]; loadBalancers: Identified[] };
}

const LABEL: Record<ResourceKind, string> = { pool: "pool", loadBalancer: "load balancer" };

/**
 * The leaf fields that differ between two versions of a resource, `version` aside. Lists of named
 * objects (origins) are matched by name, so reordering or editing one origin reads naturally.
 * @example fieldChanges({ weight: 1 }, { weight: 0 }) // [{ path: "weight", before: 1, after: 0 }]
 */
export function fieldChanges(before: unknown, after: unknown): FieldChange[] {
  const found: FieldChange[] = [];
  collect(stripVersion(before), stripVersion(after), "", found);
  return found;
}

function collect(before: unknown, after: unknown, path: string, found: FieldChange[]): void {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    for (const key of keys) collect(before[key], after[key], joinKey(path, key), found);
  } else if (isNamedList(before) && isNamedList(after)) {
    const old = new Map(before.map((item) => [item.name, item]));
    const next = new Map(after.map((item) => [item.name, item]));
    for (const [name, item] of next) collect(old.get(name), item, `${path}[${name}]`, found);
    for (const [name, item] of old) if (!next.has(name)) collect(item, undefined, `${path}[${name}]`, found);
    const order = (list: typeof before) => list.map((item) => item.name).join("\n");
    if (old.size === before.length && order(before) !== order(after) && sameNames(old, next)) {
      found.push({
        path: `${path} order`,
        before: before.map((i) => i.name),
        after: after.map((i) => i.name),
      });
    }
  } else if (!sameValue(before, after)) {
    found.push({ path: path || "(whole)", before, after });
  }
}

function sameNames(a: Map<string, unknown>, b: Map<string, unknown>): boolean {
  return a.size === b.size && [...a.keys()].every((name) => b.has(name));
}

function joinKey(path: string, key: string): string {
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isNamedList(value: unknown): value is Array<{ name: string } & Record<string, unknown>> {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((item) => isObject(item) && typeof item.name === "string")
  );
}

function stripVersion(value: unknown): unknown {
  if (!isObject(value)) return value;
  const { version: _version, ...rest } = value;
  return rest;
}

function sameValue(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return (
    JSON.stringify(value, (_key, item: unknown) =>
      isObject(item)
        ? Object.fromEntries(
            Object.keys(item)
              .sort()
              .map((k) => [k, item[k]]),
          )
        : item,
    ) ?? "undefined"
  );
}

/**
 * One changed field as a line: `path: before -> after`, or `path: added (...)` / `path: removed`.
 * With `hideHeaders` (pools), a header value reads `changed (value hidden)` and every `headers`
 * map inside a value shows `"<redacted>"` for its values.
 */
export function formatChange(change: FieldChange, hideHeaders = false): string {
  if (change.before === undefined && isObject(change.after))
    return `${change.path}: added${brief(change.after)}`;
  if (change.after === undefined && isObject(change.before)) return `${change.path}: removed`;
  if (hideHeaders && /(^|\.)headers(\.|\[)/.test(change.path)) {
    if (change.before === undefined) return `${change.path}: added (value hidden)`;
    if (change.after === undefined) return `${change.path}: removed`;
    return `${change.path}: changed (value hidden)`;
  }
  const shown = (value: unknown) =>
    hideHeaders ? withoutHeaderValues(value, /(^|\.)headers$/.test(change.path)) : value;
  return `${change.path}: ${formatValue(shown(change.before))} -> ${formatValue(shown(change.after))}`;
}

/** `value` with the values of every `headers` map in it (or of `value` itself, a map) replaced. */
function withoutHeaderValues(value: unknown, isMap = false): unknown {
  if (isMap && isObject(value)) return Object.fromEntries(Object.keys(value).map((name) => [name, REDACTED]));
  if (Array.isArray(value)) return value.map((item) => withoutHeaderValues(item));
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, withoutHeaderValues(item, key === "headers")]),
  );
}

function brief(value: Record<string, unknown>): string {
  return typeof value.address === "string" ? ` (${value.address})` : "";
}

/** A value as one short line: strings quoted, objects as compact JSON, long values cut. */
export function formatValue(value: unknown): string {
  if (value === undefined) return "(unset)";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * The plan as text: `+` created, `~` changed (with its fields), `-` deleted, then a summary line.
 * Colors (green, yellow, red) only when `color` is true.
 */
export function renderPlan(changes: ConfigChanges, documents?: PlanDocuments, color = false): string {
  if (isEmptyChange(changes)) return "No changes: the configuration already matches.";
  const lines: string[] = [];
  const kinds: Array<[ResourceKind, KindChanges, "pools" | "loadBalancers"]> = [
    ["pool", changes.pools, "pools"],
    ["loadBalancer", changes.loadBalancers, "loadBalancers"],
  ];
  for (const [kind, ids, key] of kinds) {
    const find = (side: "before" | "after", id: string) => documents?.[side][key].find((r) => r.id === id);
    for (const id of ids.created) {
      lines.push(paint(`+ ${LABEL[kind]} ${id}`, "green", color));
      const created = find("after", id);
      if (created)
        for (const line of describeNew(kind, created)) lines.push(paint(`    ${line}`, "green", color));
    }
    for (const id of ids.updated) {
      lines.push(paint(`~ ${LABEL[kind]} ${id}`, "yellow", color));
      const before = find("before", id);
      const after = find("after", id);
      if (before && after) {
        for (const change of fieldChanges(before, after)) {
          lines.push(`    ${formatChange(change, kind === "pool")}`);
        }
      }
    }
    for (const id of ids.deleted) lines.push(paint(`- ${LABEL[kind]} ${id}`, "red", color));
  }
  lines.push("", summary(changes));
  return lines.join("\n");
}

function describeNew(kind: ResourceKind, resource: Identified): string[] {
  if (kind === "loadBalancer") {
    const pools = Array.isArray(resource.pools) ? resource.pools.join(", ") : "";
    return [`${String(resource.hostname)}${String(resource.pathPrefix ?? "/")} -> ${pools}`];
  }
  const origins = Array.isArray(resource.origins) ? resource.origins : [];
  return origins.map((origin) => {
    const o = origin as Record<string, unknown>;
    return `origin ${String(o.name)} ${String(o.address)}`;
  });
}

/** E.g. "Plan: 1 to create, 2 to change, 0 to delete." */
export function summary(changes: ConfigChanges): string {
  const count = (pick: keyof KindChanges) => changes.pools[pick].length + changes.loadBalancers[pick].length;
  return `Plan: ${count("created")} to create, ${count("updated")} to change, ${count("deleted")} to delete.`;
}
