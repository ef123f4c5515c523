/**
 * `edge-lb import --from cloudflare`: Cloudflare Load Balancing's load balancers, pools and monitors,
 * as its API lists them, converted into an Edge LB configuration document. Pure: a document in, the
 * configuration and a report of everything that did not convert exactly out; the result is checked
 * with Edge LB's own document parser, so what it returns is what `apply` accepts.
 *
 * Input: one JSON object with `load_balancers`, `pools` and `monitors`, each the `result` array of
 * Cloudflare's list call (a whole response envelope, `{ "result": [...] }`, is read too).
 */
import { parseConfigDocument } from "../../worker/config/document.ts";
import type { LoadBalancerInput, PoolInput } from "../../worker/config/schema.ts";
import { assignIds } from "./cloudflare/ids.ts";
import { convertLoadBalancer } from "./cloudflare/load-balancers.ts";
import { convertMonitor, type MonitorPlan } from "./cloudflare/monitors.ts";
import { convertPool } from "./cloudflare/pools.ts";
import {
  type ImportNote,
  isRecord,
  isSet,
  type JsonRecord,
  label,
  type Note,
  records,
  text,
} from "./cloudflare/read.ts";

export type { ImportNote, NoteKind } from "./cloudflare/read.ts";

/** The input is not a Cloudflare export at all; nothing was converted. */
export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImportError";
  }
}

/** Which Edge LB id each Cloudflare object became. */
export interface IdMapping {
  readonly kind: "pool" | "load balancer";
  readonly cloudflareId: string;
  readonly name: string;
  readonly id: string;
}

export interface CloudflareImport {
  config: { pools: PoolInput[]; loadBalancers: LoadBalancerInput[] };
  report: ImportNote[];
  ids: IdMapping[];
  /** How many Cloudflare monitors became health checks. */
  monitors: number;
}

const LISTS = ["load_balancers", "pools", "monitors"] as const;

/**
 * Converts a Cloudflare Load Balancing export.
 * @example importCloudflare({ pools: [...], load_balancers: [...], monitors: [...] }).config
 * @throws ImportError when the document is not an object holding at least one of the three lists.
 */
export function importCloudflare(document: unknown): CloudflareImport {
  if (!isRecord(document)) {
    throw new ImportError(
      "the document must be a JSON object with load_balancers, pools and monitors arrays",
    );
  }
  const report: ImportNote[] = [];
  const note: Note = (at, kind, message) => report.push({ at, kind, message });
  if (!LISTS.some((key) => key in document)) {
    throw new ImportError("the document has none of load_balancers, pools and monitors");
  }
  for (const key of Object.keys(document)) {
    const reads = (LISTS as readonly string[]).includes(key);
    if (!reads && isSet(document[key])) note(key, "dropped", "not a list this import reads");
  }
  const [lbList, poolList, monitorList] = LISTS.map((key) => listOf(document, key));

  // A monitor becomes part of each pool that uses it, so it is converted (and noted) on first use.
  const monitorRecords = new Map<string, { monitor: JsonRecord; at: string }>();
  monitorList!.forEach((monitor, i) => {
    const id = text(monitor.id);
    // Monitors have no name, and descriptions repeat: the id says which one.
    const at = `monitors[${text(monitor.id) ?? label(monitor, i)}]`;
    if (id === undefined) note(at, "dropped", "no id, so no pool can refer to it");
    else if (monitorRecords.has(id))
      note(at, "dropped", `listed twice (id ${id}); the first one is converted`);
    else monitorRecords.set(id, { monitor, at });
  });
  const plans = new Map<string, MonitorPlan>();
  const monitorPlan = (id: string): MonitorPlan | undefined => {
    const found = monitorRecords.get(id);
    if (!found) return undefined;
    const plan = plans.get(id) ?? convertMonitor(found.monitor, found.at, note);
    plans.set(id, plan);
    return plan;
  };

  const ids: IdMapping[] = [];
  const uniquePools = unique(poolList!, "pools", note);
  const poolSlugs = assignIds(uniquePools.map(named), "pool");
  const poolIds = new Map<string, string>();
  const pools: PoolInput[] = [];
  uniquePools.forEach((pool, i) => {
    const id = poolSlugs[i]!;
    const converted = convertPool(pool, { id, at: `pools[${label(pool, i)}]`, monitor: monitorPlan, note });
    if (!converted) return;
    pools.push(converted);
    const cloudflareId = text(pool.id) ?? "";
    if (cloudflareId) poolIds.set(cloudflareId, id);
    ids.push({ kind: "pool", cloudflareId, name: text(pool.name) ?? "", id });
  });

  for (const [id, { at }] of monitorRecords) {
    if (!plans.has(id)) note(at, "dropped", "no converted pool uses it, and Edge LB keeps checks in pools");
  }

  const uniqueLbs = unique(lbList!, "load_balancers", note);
  const lbSlugs = assignIds(uniqueLbs.map(named), "lb");
  const loadBalancers: LoadBalancerInput[] = [];
  uniqueLbs.forEach((lb, i) => {
    const id = lbSlugs[i]!;
    const at = `load_balancers[${label(lb, i)}]`;
    const converted = convertLoadBalancer(lb, { id, at, poolIds, note });
    if (!converted) return;
    // Hostnames are unique per Cloudflare zone, not across an export of several zones.
    if (loadBalancers.some((other) => other.hostname === converted.hostname)) {
      note(
        at,
        "dropped",
        `another load balancer already has hostname ${converted.hostname}; the first one is converted`,
      );
      return;
    }
    loadBalancers.push(converted);
    ids.push({ kind: "load balancer", cloudflareId: text(lb.id) ?? "", name: text(lb.name) ?? "", id });
  });
  noteHostHeaders(pools, report);

  const config = { pools, loadBalancers };
  const checked = parseConfigDocument(config);
  if (!checked.ok) {
    // Every resource was validated on its own; what is left are rules across them (two load
    // balancers on one hostname): that is the input's to fix, not something to guess.
    const reasons = checked.errors.map((error) => `${error.path}: ${error.message}`).join("; ");
    throw new ImportError(`the converted document is not valid: ${reasons}`);
  }
  const monitors = [...plans.values()].filter((plan) => plan.healthCheck !== null).length;
  return { config, report, ids, monitors };
}

/** A list of the document, as the API's `result` array or its whole response envelope. */
function listOf(document: JsonRecord, key: string): JsonRecord[] {
  const value = document[key];
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return records(value);
  if (isRecord(value) && Array.isArray(value.result)) return records(value.result);
  throw new ImportError(`${key} must be an array (the "result" of Cloudflare's list call)`);
}

/** The objects of a list with distinct ids; a repeated id is the same object listed twice. */
function unique(list: JsonRecord[], key: string, note: Note): JsonRecord[] {
  const seen = new Set<string>();
  return list.filter((item, i) => {
    const id = text(item.id);
    if (id === undefined) return true;
    if (seen.has(id)) {
      note(`${key}[${label(item, i)}]`, "dropped", `listed twice (id ${id}); the first one is converted`);
      return false;
    }
    seen.add(id);
    return true;
  });
}

function named(item: JsonRecord): { cloudflareId: string; name: string } {
  return { cloudflareId: text(item.id) ?? "", name: text(item.name) ?? "" };
}

/**
 * How Host differs: Cloudflare sends the load balancer's hostname unless an origin overrides it,
 * Edge LB the origin's address; and an override reaches the address only within the Worker's zone.
 */
function noteHostHeaders(pools: PoolInput[], report: ImportNote[]): void {
  const origins = pools.flatMap((pool) => pool.origins.map((origin) => ({ pool: pool.id, ...origin })));
  const plain = origins
    .filter((origin) => !origin.hostHeader)
    .map((origin) => `${origin.pool}/${origin.name}`);
  const overridden = origins
    .filter((origin) => origin.hostHeader)
    .map((origin) => `${origin.pool}/${origin.name}`);
  if (plain.length > 0) {
    report.push({
      at: "pools",
      kind: "changed",
      message:
        `origins without a Host header (${plain.join(", ")}) receive their address as Host, where Cloudflare ` +
        "sends the load balancer's hostname: set hostHeader where an origin needs the public name",
    });
  }
  if (overridden.length > 0) {
    report.push({
      at: "pools",
      kind: "check",
      message:
        `origins with a Host header (${overridden.join(", ")}) are fetched by that name and connected to their ` +
        "address with cf.resolveOverride, which Cloudflare honours only when both names are in the Worker's zone",
    });
  }
}
