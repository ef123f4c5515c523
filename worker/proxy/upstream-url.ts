/**
 * Where an attempt is sent: the origin's address with the request's path and query appended.
 * Pure (WHATWG URL only).
 *
 * The path and query travel as the runtime hands them over (`request.url`), never re-encoded here:
 * `%2F`, `//`, `%zz` and an empty query (`/x?`) arrive at the origin as the client sent them. Two
 * changes happen before the Worker sees the request and cannot be undone: the runtime parses the
 * client's URL as WHATWG URLs do, so dot segments are resolved (`/a/../b` becomes `/b`, `%2e%2e`
 * too) and a few characters of the query are percent-encoded (`'`, `"`, `<`, `>`, space); and
 * `fetch()` parses the target URL the same way.
 */

import type { UpstreamTarget } from "../http/upstream-target.ts";

interface OriginAddress {
  readonly address: string;
  readonly hostHeader: string | null;
}

/** What every target of one origin starts with: scheme, host, port and base path (no trailing slash). */
interface TargetPrefix {
  readonly base: string;
  readonly resolveOverride: string | null;
}

/** Per origin (configuration object, the same for a whole config version): its parsed address. */
const prefixes = new WeakMap<OriginAddress, TargetPrefix>();

/**
 * The path and query of a request URL exactly as serialized, e.g. `/a%2Fb?x=%zz`, keeping an empty
 * query's `?` (which `URL#search` reports as "").
 * @example pathAndQueryOf(new URL("http://lb.test/x?")) === "/x?"
 */
export function pathAndQueryOf(url: URL): string {
  if (url.search !== "") return url.pathname + url.search;
  const href = url.hash === "" ? url.href.replace(/#$/, "") : url.href.slice(0, -url.hash.length);
  return href.endsWith("?") ? `${url.pathname}?` : url.pathname;
}

/**
 * Joins an origin address (which may carry a base path) with a request path and query, without
 * doubling or losing the slash between them.
 * @example joinUpstreamUrl("https://eu1.example.com:8443/base", "/x?q=1") === "https://eu1.example.com:8443/base/x?q=1"
 */
export function joinUpstreamUrl(address: string, pathAndQuery: string): string {
  return appendPath(baseOf(new URL(address)), pathAndQuery);
}

/**
 * The target of one attempt. With a `hostHeader` the URL names that host (the runtime derives the
 * Host header from the URL and ignores one set by code) and `resolveOverride` sends the connection
 * to the origin's host instead. Cloudflare honours `resolveOverride` only when both hostnames are
 * in the Worker's own zone; elsewhere, and in local development, the request goes to wherever
 * `hostHeader` resolves. The port of the address is kept unless `hostHeader` names one.
 * @example upstreamTarget({ address: "https://10-0-0-1.example.com", hostHeader: "www.example.com" }, "/a")
 *   // { url: "https://www.example.com/a", resolveOverride: "10-0-0-1.example.com" }
 */
export function upstreamTarget(origin: OriginAddress, pathAndQuery: string): UpstreamTarget {
  let prefix = prefixes.get(origin);
  if (!prefix) {
    prefix = prefixOf(origin);
    prefixes.set(origin, prefix);
  }
  return { url: appendPath(prefix.base, pathAndQuery), resolveOverride: prefix.resolveOverride };
}

function prefixOf(origin: OriginAddress): TargetPrefix {
  const url = new URL(origin.address);
  if (!origin.hostHeader) return { base: baseOf(url), resolveOverride: null };
  const originHost = url.hostname;
  const [hostname, port] = origin.hostHeader.split(":");
  url.hostname = hostname ?? origin.hostHeader;
  if (port !== undefined) url.port = port;
  return { base: baseOf(url), resolveOverride: originHost };
}

function baseOf(url: URL): string {
  const path = url.pathname.endsWith("/") ? url.pathname.slice(0, -1) : url.pathname;
  return `${url.origin}${path}`;
}

function appendPath(base: string, pathAndQuery: string): string {
  return pathAndQuery.startsWith("/") ? `${base}${pathAndQuery}` : `${base}/${pathAndQuery}`;
}
