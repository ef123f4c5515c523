/**
 * Cloudflare load balancers as Edge LB load balancers: the hostname is Cloudflare's `name`, the
 * pool lists are translated through the pool id mapping, and steering and session affinity become
 * their nearest Edge LB equivalents. Pure.
 */

import { parseResource } from "../../../worker/config/resources.ts";
import { type LoadBalancerInput, LoadBalancerSchema } from "../../../worker/config/schema.ts";
import {
  flag,
  inOrder,
  isSet,
  type JsonRecord,
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
import { convertRules } from "./rules.ts";

export interface LoadBalancerContext {
  /** The Edge LB id chosen for this load balancer. */
  readonly id: string;
  /** Where notes point, e.g. `load_balancers[www.example.com]`. */
  readonly at: string;
  /** Edge LB pool ids by Cloudflare pool id, for the pools that were converted. */
  readonly poolIds: ReadonlyMap<string, string>;
  readonly note: Note;
}

type Steering = NonNullable<LoadBalancerInput["steering"]>;
type Affinity = NonNullable<LoadBalancerInput["sessionAffinity"]>;

const MAX_POOLS = 20;

/**
 * The fields read below, and those that need nothing: read-only metadata; `ttl`, which only DNS-only
 * load balancers use (noted with `proxied`); `adaptive_routing`, whose zero-downtime failover Edge LB
 * retries already give (another origin of the pool, then the next pools).
 */
const KNOWN = new Set([
  ...["id", "name", "description", "enabled", "default_pools", "fallback_pool", "steering_policy"],
  ...["random_steering", "region_pools", "country_pools", "pop_pools", "session_affinity"],
  ...["session_affinity_ttl", "session_affinity_attributes", "proxied", "ttl", "location_strategy"],
  ...["networks", "rules", "adaptive_routing", "created_on", "modified_on", "zone_name"],
]);

/**
 * Cloudflare's load-balancing regions and the continent each lies in. Edge LB steers by the
 * continent a request comes from (`request.cf.continent`); Cloudflare's regions split continents
 * (and, for the Americas, countries) more finely, so each becomes its whole continent.
 */
export const REGION_CONTINENTS: Readonly<Record<string, string>> = {
  WNAM: "NA",
  ENAM: "NA",
  NSAM: "SA",
  SSAM: "SA",
  WEU: "EU",
  EEU: "EU",
  ME: "AS",
  NAF: "AF",
  SAF: "AF",
  SAS: "AS",
  SEAS: "AS",
  NEAS: "AS",
  OC: "OC",
};
const CONTINENTS = new Set(["AF", "AN", "AS", "EU", "NA", "OC", "SA"]);

/**
 * The Edge LB load balancer for one Cloudflare load balancer, validated by Edge LB's schema; null
 * (with a note) when it has no hostname Edge LB accepts or no pool left to send traffic to.
 */
export function convertLoadBalancer(lb: JsonRecord, context: LoadBalancerContext): LoadBalancerInput | null {
  const { at, note } = context;
  noteUnread(lb, KNOWN, at, note);
  const name = text(lb.name);
  const hostname = name === undefined ? undefined : LoadBalancerSchema.shape.hostname.safeParse(name);
  if (!hostname?.success) {
    note(
      at,
      "dropped",
      `${show(name ?? null)} is not a hostname Edge LB accepts, so the load balancer is left out`,
    );
    return null;
  }
  const pools = poolList(lb.default_pools, `${at}.default_pools`, context).slice(0, MAX_POOLS);
  if (strings(lb.default_pools).length > MAX_POOLS) {
    note(
      `${at}.default_pools`,
      "dropped",
      `Edge LB takes at most ${MAX_POOLS} pools; the first ${MAX_POOLS} are kept`,
    );
  }
  if (pools.length === 0) {
    note(at, "dropped", "none of its default pools was converted, so the load balancer is left out");
    return null;
  }
  const input: LoadBalancerInput = { id: context.id, hostname: hostname.data, pools };
  const description = text(lb.description);
  if (description !== undefined) input.description = description.slice(0, 1024);
  if (flag(lb.enabled) === false) input.enabled = false;

  const fallback = text(lb.fallback_pool);
  if (fallback !== undefined) {
    const id = context.poolIds.get(fallback);
    if (id !== undefined) input.fallbackPool = id;
    else
      note(
        `${at}.fallback_pool`,
        "dropped",
        `pool ${show(fallback)} is not among the converted pools: no fallback pool`,
      );
  }

  const steering = steeringOf(lb, at, note);
  if (steering !== "failover") input.steering = steering;
  const weights = poolWeights(lb, pools, steering, context);
  if (weights) input.poolWeights = weights;
  const regionPools = regionPoolsOf(record(lb.region_pools), `${at}.region_pools`, context);
  if (Object.keys(regionPools).length > 0) input.regionPools = regionPools;
  const countryPools = countryPoolsOf(record(lb.country_pools), `${at}.country_pools`, context);
  if (Object.keys(countryPools).length > 0) input.countryPools = countryPools;
  if (isSet(lb.pop_pools)) {
    note(
      `${at}.pop_pools`,
      "dropped",
      "Edge LB steers by country and continent, not by Cloudflare data center",
    );
  }
  const affinity = affinityOf(lb, at, note);
  if (affinity) input.sessionAffinity = affinity;
  const rules = convertRules(records(lb.rules), {
    at,
    note,
    poolIds: context.poolIds,
    regionContinents: REGION_CONTINENTS,
  });
  if (rules.length > 0) input.rules = rules;
  noteLoadBalancerExtras(lb, at, note);

  const parsed = parseResource("load_balancer", input);
  if (!parsed.ok) {
    const reasons = parsed.errors.map((error) => `${error.path}: ${error.message}`).join("; ");
    note(at, "dropped", `Edge LB refuses the converted load balancer (${reasons}), so it is left out`);
    return null;
  }
  return inOrder(input, ["id", "description", "hostname", "enabled", "pools", "fallbackPool", "steering"]);
}

/** Cloudflare pool ids as Edge LB pool ids, in order, without repeats; the unknown ones noted. */
function poolList(value: unknown, at: string, { poolIds, note }: LoadBalancerContext): string[] {
  const ids: string[] = [];
  for (const cloudflareId of strings(value)) {
    const id = poolIds.get(cloudflareId);
    if (id === undefined) note(at, "dropped", `pool ${show(cloudflareId)} is not among the converted pools`);
    else if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

function steeringOf(lb: JsonRecord, at: string, note: Note): Steering {
  const policy = typeof lb.steering_policy === "string" ? lb.steering_policy.trim() : "";
  const where = `${at}.steering_policy`;
  switch (policy) {
    case "":
      // Cloudflare: "" means geo when any location map is set, off otherwise.
      return isSet(lb.region_pools) || isSet(lb.country_pools) || isSet(lb.pop_pools) ? "geo" : "failover";
    case "off":
      return "failover";
    case "geo":
    case "random":
      return policy;
    case "least_outstanding_requests":
      return "least_connections";
    case "least_connections":
      note(where, "changed", "least_connections: Edge LB counts requests in flight, not open connections");
      return "least_connections";
    case "dynamic_latency":
    case "proximity":
      note(where, "changed", `Edge LB has no ${policy} steering: failover (pools in order)`);
      return "failover";
    default:
      note(where, "changed", `unknown policy ${show(policy)}: failover (pools in order)`);
      return "failover";
  }
}

/** `random_steering` as `poolWeights` for random steering; noted where Edge LB does not use it. */
function poolWeights(
  lb: JsonRecord,
  pools: string[],
  steering: Steering,
  { at, poolIds, note }: LoadBalancerContext,
): Record<string, number> | null {
  const random = record(lb.random_steering);
  // Without per-pool weights every pool weighs default_weight: all alike, as with no weights.
  if (!isSet(random.pool_weights)) return null;
  const where = `${at}.random_steering`;
  if (steering !== "random") {
    note(where, "dropped", `Edge LB weighs pools only for random steering, not ${steering}`);
    return null;
  }
  const byId = record(random.pool_weights);
  const fallback = num(random.default_weight) ?? 1;
  const weightOf = new Map<string, number>();
  for (const [cloudflareId, weight] of Object.entries(byId)) {
    const id = poolIds.get(cloudflareId);
    if (id === undefined || !pools.includes(id)) {
      note(
        `${where}.pool_weights`,
        "dropped",
        `pool ${show(cloudflareId)} is not among the load balancer's pools`,
      );
    } else if (num(weight) !== undefined) {
      weightOf.set(id, num(weight)!);
    }
  }
  const scaled = proportions(pools.map((id) => weightOf.get(id) ?? fallback));
  if (scaled.every((weight) => weight === scaled[0])) return null;
  return Object.fromEntries(pools.map((id, i) => [id, scaled[i]!]));
}

function regionPoolsOf(
  regions: JsonRecord,
  at: string,
  context: LoadBalancerContext,
): Record<string, string[]> {
  const byContinent: Record<string, string[]> = {};
  const mapped: string[] = [];
  for (const [region, value] of Object.entries(regions)) {
    const code = region.toUpperCase();
    const continent = REGION_CONTINENTS[code] ?? (CONTINENTS.has(code) ? code : undefined);
    if (continent === undefined) {
      context.note(`${at}.${region}`, "dropped", "not a Cloudflare region or continent code Edge LB knows");
      continue;
    }
    const ids = poolList(value, `${at}.${region}`, context);
    if (ids.length === 0) continue;
    if (continent !== code) mapped.push(`${code} → ${continent}`);
    const list = byContinent[continent] ?? [];
    for (const id of ids) if (!list.includes(id)) list.push(id);
    byContinent[continent] = list;
  }
  if (mapped.length > 0) {
    context.note(
      at,
      "changed",
      `Edge LB steers by the client's continent: ${mapped.join(", ")}; regions of one continent share its pools, in order`,
    );
  }
  return byContinent;
}

function countryPoolsOf(
  countries: JsonRecord,
  at: string,
  context: LoadBalancerContext,
): Record<string, string[]> {
  const byCountry: Record<string, string[]> = {};
  for (const [country, value] of Object.entries(countries)) {
    const code = country.toUpperCase();
    if (!/^[A-Z]{2}$/.test(code)) {
      context.note(`${at}.${country}`, "dropped", "not an ISO 3166 alpha-2 country code");
      continue;
    }
    const ids = poolList(value, `${at}.${country}`, context);
    if (ids.length > 0) byCountry[code] = ids;
  }
  return byCountry;
}

function affinityOf(lb: JsonRecord, at: string, note: Note): Affinity | null {
  const type = text(lb.session_affinity) ?? "none";
  if (type === "none") return null;
  const attributes = record(lb.session_affinity_attributes);
  const where = `${at}.session_affinity_attributes`;
  const ttl = num(lb.session_affinity_ttl);
  let affinity: Affinity;
  if (type === "cookie" || type === "ip_cookie") {
    affinity = { type: "cookie", ttlSeconds: Math.round(ttl ?? 82_800) };
    if (type === "ip_cookie") {
      note(
        `${at}.session_affinity`,
        "changed",
        "ip_cookie: a cookie, but the first origin is not chosen by the client's IP",
      );
    }
    for (const [field, neutral] of [
      ["samesite", "Auto"],
      ["secure", "Auto"],
    ] as const) {
      const value = text(attributes[field]);
      if (value !== undefined && value !== neutral) {
        note(
          `${where}.${field}`,
          "dropped",
          `Edge LB's affinity cookie is always HttpOnly, SameSite=Lax; ${show(value)} is not applied`,
        );
      }
    }
  } else if (type === "header") {
    const headers = strings(attributes.headers);
    const name = headers.find((header) => !header.toLowerCase().startsWith("cookie"));
    if (name === undefined) {
      note(
        `${where}.headers`,
        "dropped",
        `Edge LB pins sessions by one request header; ${show(headers)} names none: no affinity`,
      );
      return null;
    }
    affinity = { type: "header", headerName: name, ttlSeconds: Math.round(ttl ?? 1800) };
    if (headers.length > 1) {
      note(
        `${where}.headers`,
        "changed",
        `Edge LB pins sessions by one header: ${show(name)} (of ${show(headers)})`,
      );
    }
  } else {
    note(`${at}.session_affinity`, "dropped", `unknown session affinity ${show(type)}: none`);
    return null;
  }
  const failover = text(attributes.zero_downtime_failover);
  if (failover === "temporary") affinity.onOriginFailure = "temporary";
  const drain = num(attributes.drain_duration);
  if (drain !== undefined && drain > 0) {
    // Edge LB keeps pinned sessions on a draining origin the same way (sessionAffinity.drainSeconds).
    affinity.drainSeconds = Math.min(86_400, Math.round(drain));
    if (drain > 86_400) note(`${where}.drain_duration`, "changed", "capped at 86400 s, Edge LB's longest");
  }
  return affinity;
}

/** Load balancer settings with no Edge LB equivalent, noted when set. */
function noteLoadBalancerExtras(lb: JsonRecord, at: string, note: Note): void {
  if (flag(lb.proxied) === false) {
    note(
      `${at}.proxied`,
      "changed",
      "a DNS-only load balancer: Edge LB proxies every request (ttl does not apply)",
    );
  }
  const location = record(lb.location_strategy);
  if (
    (text(location.mode) ?? "pop") !== "pop" ||
    (text(location.prefer_ecs) ?? "proximity") !== "proximity"
  ) {
    note(
      `${at}.location_strategy`,
      "dropped",
      "only DNS-only load balancing locates clients by resolver or ECS",
    );
  }
  noteNetworks(lb, at, note);
}
