/**
 * Cloudflare pools and their origins as Edge LB pools. Cloudflare's origin address is a host (an IP
 * or a hostname) without a scheme: the pool's monitor says which protocol the origins speak, HTTPS
 * otherwise, and the origin's own port (or the protocol's) is where requests go. Pure.
 */

import { parseResource } from "../../../worker/config/resources.ts";
import { type OriginInput, OriginSchema, type PoolInput } from "../../../worker/config/schema.ts";
import { originNames } from "./ids.ts";
import type { MonitorPlan } from "./monitors.ts";
import {
  flag,
  inOrder,
  isSet,
  type JsonRecord,
  label,
  type Note,
  noteNetworks,
  noteUnread,
  num,
  proportions,
  record,
  records,
  show,
  strings,
  text,
} from "./read.ts";

export interface PoolContext {
  /** The Edge LB id chosen for this pool. */
  readonly id: string;
  /** Where notes point, e.g. `pools[primary-dc-1]`. */
  readonly at: string;
  /** The plan of the document's monitor with this Cloudflare id, if there is one. */
  readonly monitor: (cloudflareId: string) => MonitorPlan | undefined;
  readonly note: Note;
}

/** The fields read below, and the read-only ones that mean nothing to Edge LB. */
const KNOWN_POOL = new Set([
  ...["id", "name", "description", "enabled", "origins", "monitor", "monitor_group", "check_regions"],
  ...["latitude", "longitude", "load_shedding", "minimum_origins", "notification_email"],
  ...["notification_filter", "origin_steering", "networks", "created_on", "modified_on", "disabled_at"],
]);
const KNOWN_ORIGIN = new Set([
  ...["address", "name", "enabled", "weight", "port", "header", "virtual_network_id", "flatten_cname"],
  "disabled_at",
]);

/** Cloudflare's origin steering policies and the Edge LB algorithm closest to each. */
const ALGORITHMS: Record<string, PoolInput["algorithm"]> = {
  random: "random",
  hash: "hash",
  least_outstanding_requests: "least_connections",
  least_connections: "least_connections",
};

/**
 * The Edge LB pool for one Cloudflare pool, validated by Edge LB's schema; null (with a note) when
 * nothing of it can serve.
 */
export function convertPool(pool: JsonRecord, context: PoolContext): PoolInput | null {
  const { at, note } = context;
  noteUnread(pool, KNOWN_POOL, at, note);
  const monitor = monitorOf(pool, context);
  const scheme = monitor?.scheme ?? "https";
  const origins = convertOrigins(records(pool.origins), scheme, context);
  if (origins.length === 0) {
    note(at, "dropped", "no origin with an address: Edge LB needs at least one, so the pool is left out");
    return null;
  }
  if (monitor?.scheme == null) {
    note(`${at}.origins`, "assumed", "no HTTP or HTTPS monitor says which protocol the origins speak: https");
  }
  checkMonitorPort(monitor, origins, at, note);

  const input: PoolInput = { id: context.id, origins };
  const description = text(pool.description);
  if (description !== undefined) input.description = description.slice(0, 1024);
  if (flag(pool.enabled) === false) input.enabled = false;
  const policy = text(record(pool.origin_steering).policy) ?? "random";
  input.algorithm = ALGORITHMS[policy] ?? "random";
  if (!(policy in ALGORITHMS))
    note(`${at}.origin_steering.policy`, "changed", `unknown policy ${show(policy)}: random`);
  if (policy === "least_connections") {
    note(
      `${at}.origin_steering.policy`,
      "changed",
      "Edge LB counts requests in flight, not open connections",
    );
  }
  if (input.algorithm === "hash") input.hashOn = "ip";
  const minimum = num(pool.minimum_origins);
  if (minimum !== undefined && minimum > 1) {
    input.minimumOrigins = Math.min(Math.round(minimum), origins.length);
    if (minimum > origins.length) {
      note(
        `${at}.minimum_origins`,
        "changed",
        `${minimum} is more than the ${origins.length} origins converted: ${origins.length}`,
      );
    }
  }
  if (monitor?.healthCheck) input.healthCheck = structuredClone(monitor.healthCheck);
  notePoolExtras(pool, at, note);

  const parsed = parseResource("pool", input);
  if (!parsed.ok) {
    const reasons = parsed.errors.map((error) => `${error.path}: ${error.message}`).join("; ");
    note(at, "dropped", `Edge LB refuses the converted pool (${reasons}), so it is left out`);
    return null;
  }
  return inOrder(input, ["id", "description", "enabled", "algorithm", "hashOn", "minimumOrigins", "origins"]);
}

function monitorOf(pool: JsonRecord, { at, monitor: planOf, note }: PoolContext): MonitorPlan | null {
  if (text(pool.monitor_group) !== undefined) {
    note(`${at}.monitor_group`, "dropped", "Edge LB runs one check per pool, not monitor groups");
  }
  const id = text(pool.monitor);
  if (id === undefined) return null;
  const monitor = planOf(id);
  if (!monitor)
    note(
      `${at}.monitor`,
      "dropped",
      `monitor ${show(id)} is not in the document's monitors: no active check`,
    );
  return monitor ?? null;
}

function convertOrigins(
  list: JsonRecord[],
  scheme: "http" | "https",
  { at, note }: PoolContext,
): OriginInput[] {
  const usable = list.filter((origin, i) => {
    if (text(origin.address) !== undefined) return true;
    note(`${at}.origins[${label(origin, i)}]`, "dropped", "no address");
    return false;
  });
  const names = originNames(usable.map((origin) => text(origin.name) ?? text(origin.address)!));
  const weights = proportions(usable.map((origin) => num(origin.weight) ?? 1));
  const ipLiterals: string[] = [];
  const origins: OriginInput[] = [];
  usable.forEach((origin, i) => {
    const name = names[i]!;
    const where = `${at}.origins[${text(origin.name) ?? name}]`;
    noteUnread(origin, KNOWN_ORIGIN, where, note);
    const host = text(origin.address)!;
    const address = originAddress(host, scheme, num(origin.port));
    if (address === null) {
      note(`${where}.address`, "dropped", `${show(host)} is not an IP address or hostname`);
      return;
    }
    if (isIpLiteral(host)) ipLiterals.push(name);
    const converted: OriginInput = { name, address };
    if (weights[i] !== 1) converted.weight = weights[i]!;
    if (flag(origin.enabled) === false) converted.enabled = false;
    const hostHeader = hostOverride(record(origin.header), where, note);
    if (hostHeader !== null) converted.hostHeader = hostHeader;
    if (text(origin.virtual_network_id) !== undefined) {
      note(
        `${where}.virtual_network_id`,
        "dropped",
        "Edge LB reaches origins by their public address; a private origin needs one (e.g. through Cloudflare Tunnel)",
      );
    }
    if (flag(origin.flatten_cname) === false) {
      note(`${where}.flatten_cname`, "dropped", "only shapes DNS answers; Edge LB always proxies");
    }
    origins.push(converted);
  });
  if (ipLiterals.length > 0) {
    note(
      `${at}.origins`,
      "check",
      `${ipLiterals.join(", ")} ${ipLiterals.length === 1 ? "is" : "are"} addressed by IP: a deployed Worker cannot ` +
        `fetch a bare IP address, so ${ipLiterals.length === 1 ? "it needs" : "they need"} a hostname (local development can do without)`,
    );
  }
  return origins;
}

/**
 * `scheme://host[:port]` for a Cloudflare origin address; null when the address is not a host.
 * Port 0 or none: the scheme's default.
 * @example originAddress("2001:db8::1", "https", 8443) // "https://[2001:db8::1]:8443"
 */
export function originAddress(
  host: string,
  scheme: "http" | "https",
  port: number | undefined,
): string | null {
  const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const withPort =
    port !== undefined && Number.isInteger(port) && port > 0 && port < 65536
      ? `${bracketed}:${port}`
      : bracketed;
  const address = `${scheme}://${withPort}`;
  try {
    const url = new URL(address);
    if (url.pathname !== "/" || url.search || url.hash || url.username || `${url.host}` === "") return null;
    return url.origin;
  } catch {
    return null;
  }
}

function isIpLiteral(host: string): boolean {
  return host.includes(":") || /^\d{1,3}(?:\.\d{1,3}){3}$/.test(host);
}

/** The origin's Host header override (Cloudflare supports one value, `header.Host`). */
function hostOverride(header: JsonRecord, where: string, note: Note): string | null {
  let host: string | null = null;
  for (const [name, raw] of Object.entries(header)) {
    const values = strings(raw);
    if (values.length === 0) continue;
    if (name.toLowerCase() !== "host") {
      note(
        `${where}.header.${name}`,
        "dropped",
        "Cloudflare origins carry only a Host header; this one is left out",
      );
      continue;
    }
    const parsed = OriginSchema.shape.hostHeader.safeParse(values[0]);
    if (!parsed.success || parsed.data === null) {
      note(`${where}.header.Host`, "dropped", `${show(values[0])} is not a hostname Edge LB accepts`);
      continue;
    }
    host = parsed.data;
    if (values.length > 1) note(`${where}.header.Host`, "changed", `one Host per origin: ${show(values[0])}`);
  }
  return host;
}

/** Edge LB probes the port requests go to; a monitor on another port is noted once per pool. */
function checkMonitorPort(monitor: MonitorPlan | null, origins: OriginInput[], at: string, note: Note): void {
  if (monitor?.port == null || monitor.healthCheck === null) return;
  const other = origins
    .filter((origin) => portOf(origin.address) !== monitor.port)
    .map((origin) => origin.name);
  if (other.length === 0) return;
  note(
    `${at}.monitor`,
    "changed",
    `the monitor probes port ${monitor.port}; Edge LB probes each origin on the port its requests go to (${other.join(", ")})`,
  );
}

function portOf(address: string): number {
  const url = new URL(address);
  return url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
}

/** Pool settings with no Edge LB equivalent, noted when set. */
function notePoolExtras(pool: JsonRecord, at: string, note: Note): void {
  if (isSet(pool.check_regions)) {
    note(
      `${at}.check_regions`,
      "dropped",
      `Edge LB probes from one place, not from ${strings(pool.check_regions).join(", ")}`,
    );
  }
  if (num(pool.latitude) !== undefined || num(pool.longitude) !== undefined) {
    note(`${at}.latitude`, "dropped", "coordinates serve proximity steering, which Edge LB does not have");
  }
  const shedding = record(pool.load_shedding);
  if ((num(shedding.default_percent) ?? 0) > 0 || (num(shedding.session_percent) ?? 0) > 0) {
    note(
      `${at}.load_shedding`,
      "dropped",
      "Edge LB does not shed load; lower the pool's weight or drain origins instead",
    );
  }
  if (isSet(pool.notification_email) || isSet(pool.notification_filter)) {
    note(
      `${at}.notification_email`,
      "dropped",
      "health notifications are not part of the configuration document",
    );
  }
  noteNetworks(pool, at, note);
}
