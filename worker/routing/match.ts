/**
 * Matching a request to a load balancer by hostname and path. Pure.
 *
 * Hostnames are looked up exactly first, then as wildcards: `*.example.com` matches any deeper
 * subdomain (`a.example.com`, `a.b.example.com`) but not the apex, and the longest wildcard suffix
 * wins. Among the enabled load balancers of one hostname, the longest matching `pathPrefix` wins.
 * Prefixes match whole path segments: `/api` matches `/api` and `/api/x`, not `/apix`; a prefix
 * ending in `/` matches everything below it. When no prefix of the most specific hostname matches,
 * the next less specific hostname is tried (exact, then longer wildcards before shorter ones), so a
 * catch-all `*.example.com` still serves the paths an exact entry does not claim.
 *
 * Paths and prefixes are compared normalised (http/path.ts, RFC 3986 6.2.2): `/%61dmin` is
 * `/admin`, so percent-encoding cannot steer a request past the load balancer of its path.
 */
import type { LoadBalancer } from "../config/schema.ts";
import { normalizeHostname } from "../http/hostname.ts";
import { normalizePath } from "../http/path.ts";

interface RouteEntry {
  readonly loadBalancer: LoadBalancer;
  readonly prefix: string;
  /** `prefix` with a trailing slash, to test segment boundaries without allocating per request. */
  readonly below: string;
}

/** Enabled load balancers grouped by hostname; each group sorted by longest prefix first. */
export interface RouteIndex {
  readonly exact: ReadonlyMap<string, readonly RouteEntry[]>;
  /** Keyed by the suffix after `*.`, e.g. `example.com` for `*.example.com`. */
  readonly wildcard: ReadonlyMap<string, readonly RouteEntry[]>;
}

export interface RouteMatch {
  readonly loadBalancer: LoadBalancer;
  /** The configured hostname that matched, e.g. `*.example.com`. */
  readonly hostname: string;
  readonly matchedBy: "exact" | "wildcard";
}

/**
 * Builds the lookup structure for a set of load balancers; disabled ones are left out.
 * @example const index = buildRouteIndex(config.loadBalancers);
 */
export function buildRouteIndex(loadBalancers: readonly LoadBalancer[]): RouteIndex {
  const exact = new Map<string, RouteEntry[]>();
  const wildcard = new Map<string, RouteEntry[]>();
  for (const loadBalancer of loadBalancers) {
    if (!loadBalancer.enabled) continue;
    const host = normalizeHostname(loadBalancer.hostname);
    const isWildcard = host.startsWith("*.");
    const map = isWildcard ? wildcard : exact;
    const key = isWildcard ? host.slice(2) : host;
    const prefix = normalizePath(loadBalancer.pathPrefix);
    const entry: RouteEntry = { loadBalancer, prefix, below: prefix.endsWith("/") ? prefix : `${prefix}/` };
    const list = map.get(key);
    if (list) list.push(entry);
    else map.set(key, [entry]);
  }
  for (const list of [...exact.values(), ...wildcard.values()]) list.sort(byPrefixThenId);
  return { exact, wildcard };
}

/**
 * The load balancer that serves `host` + `path`, or null when none does.
 * @example matchLoadBalancer(index, "Shop.Example.com:8443", "/api/cart")?.loadBalancer.id
 */
export function matchLoadBalancer(index: RouteIndex, host: string, rawPath: string): RouteMatch | null {
  const name = normalizeHostname(host);
  const path = normalizePath(rawPath);
  const exact = firstMatching(index.exact.get(name), path);
  if (exact) return { loadBalancer: exact.loadBalancer, hostname: name, matchedBy: "exact" };
  if (index.wildcard.size === 0) return null;
  // Walk the suffixes from longest to shortest: for a.b.example.com try b.example.com, example.com, com.
  for (let dot = name.indexOf("."); dot !== -1; dot = name.indexOf(".", dot + 1)) {
    const suffix = name.slice(dot + 1);
    const entry = firstMatching(index.wildcard.get(suffix), path);
    if (entry) return { loadBalancer: entry.loadBalancer, hostname: `*.${suffix}`, matchedBy: "wildcard" };
  }
  return null;
}

function firstMatching(entries: readonly RouteEntry[] | undefined, path: string): RouteEntry | undefined {
  if (!entries) return undefined;
  for (const entry of entries) {
    if (path === entry.prefix || path.startsWith(entry.below)) return entry;
  }
  return undefined;
}

function byPrefixThenId(a: RouteEntry, b: RouteEntry): number {
  return b.prefix.length - a.prefix.length || (a.loadBalancer.id < b.loadBalancer.id ? -1 : 1);
}
