/**
 * Where an attempt is sent: the origin's address with the request's path and query appended.
 * Pure (WHATWG URL only).
 */

export interface UpstreamTarget {
  /** The URL to fetch. */
  readonly url: string;
  /**
   * With `hostHeader`: the origin's own host, which the request must actually reach (Cloudflare's
   * `cf.resolveOverride`); null otherwise.
   */
  readonly resolveOverride: string | null;
}

/**
 * Joins an origin address (which may carry a base path) with a request path and query, without
 * doubling or losing the slash between them.
 * @example joinUpstreamUrl("https://eu1.example.com:8443/base", "/x?q=1") === "https://eu1.example.com:8443/base/x?q=1"
 */
export function joinUpstreamUrl(address: string, pathAndQuery: string): string {
  const base = new URL(address);
  const basePath = base.pathname.endsWith("/") ? base.pathname.slice(0, -1) : base.pathname;
  const tail = pathAndQuery.startsWith("/") ? pathAndQuery : `/${pathAndQuery}`;
  return `${base.origin}${basePath}${tail}`;
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
export function upstreamTarget(
  origin: { readonly address: string; readonly hostHeader: string | null },
  pathAndQuery: string,
): UpstreamTarget {
  const url = joinUpstreamUrl(origin.address, pathAndQuery);
  if (!origin.hostHeader) return { url, resolveOverride: null };
  const rewritten = new URL(url);
  const originHost = rewritten.hostname;
  const [hostname, port] = origin.hostHeader.split(":");
  rewritten.hostname = hostname ?? origin.hostHeader;
  if (port !== undefined) rewritten.port = port;
  return { url: rewritten.href, resolveOverride: originHost };
}
