/**
 * The request a health probe sends to one origin. Pure: the DO turns it into a `fetch`.
 *
 * The URL is the origin address's path joined with the check path. Per-origin `headers` and
 * `hostHeader` apply as in the proxy: the runtime derives `Host` from the URL, so another Host means
 * fetching `<scheme>://<hostHeader>/...` with `cf.resolveOverride` set to the origin's host.
 */

/** Bytes of body a probe reads at most when it looks for `expectedBody`. */
export const MAX_PROBE_BODY_BYTES = 64 * 1024;

export const PROBE_USER_AGENT = "edge-lb-health-check/1";

export interface ProbeOrigin {
  address: string;
  hostHeader: string | null;
  headers: Record<string, string>;
}

export interface ProbeCheck {
  path: string;
  method: "GET" | "HEAD";
  headers: Record<string, string>;
  followRedirects: boolean;
}

export interface ProbeRequest {
  url: string;
  method: "GET" | "HEAD";
  /** Lower-case names; the check's headers override the origin's. */
  headers: Record<string, string>;
  /** Host to connect to when `hostHeader` changes the URL's host; null otherwise. */
  resolveOverride: string | null;
  redirect: "manual" | "follow";
}

/**
 * Joins an origin's base path and a request path (which may carry a query).
 * @example joinPath("/base/", "/health?full=1") === "/base/health?full=1"
 */
export function joinPath(basePath: string, path: string): string {
  const base = basePath.endsWith("/") ? basePath.slice(0, -1) : basePath;
  return `${base}${path.startsWith("/") ? path : `/${path}`}`;
}

/**
 * The probe request for one origin.
 * @example buildProbeRequest({ address: "https://a.example/base", hostHeader: null, headers: {} }, check).url
 *   // "https://a.example/base/health"
 */
export function buildProbeRequest(origin: ProbeOrigin, check: ProbeCheck): ProbeRequest {
  const url = new URL(origin.address);
  const target = new URL(url.origin);
  // Set as parts, never parsed as a relative URL: a check path like "//x" must stay a path.
  const [pathAndQuery = "/"] = check.path.split("#");
  const queryAt = pathAndQuery.indexOf("?");
  const path = queryAt === -1 ? pathAndQuery : pathAndQuery.slice(0, queryAt);
  target.pathname = joinPath(url.pathname, path);
  if (queryAt !== -1) target.search = pathAndQuery.slice(queryAt);
  let resolveOverride: string | null = null;
  if (origin.hostHeader !== null) {
    const [hostname, port] = origin.hostHeader.split(":") as [string, string | undefined];
    if (hostname !== url.hostname) resolveOverride = url.hostname;
    target.hostname = hostname;
    if (port !== undefined) target.port = port;
  }
  const headers: Record<string, string> = { "user-agent": PROBE_USER_AGENT };
  for (const [name, value] of Object.entries(origin.headers)) headers[name.toLowerCase()] = value;
  for (const [name, value] of Object.entries(check.headers)) headers[name.toLowerCase()] = value;
  return {
    url: target.toString(),
    method: check.method,
    headers,
    resolveOverride,
    redirect: check.followRedirects ? "follow" : "manual",
  };
}
