/**
 * The request a health probe sends to one origin. Pure: the DO turns it into a `fetch`.
 *
 * The URL is the origin address's path joined with the check path. Per-origin `headers` and
 * `hostHeader` apply as in the proxy: the runtime derives `Host` from the URL, so another Host means
 * fetching `<scheme>://<hostHeader>/...` with `cf.resolveOverride` set to the origin's host.
 *
 * Redirects (with `followRedirects`) are followed one hop at a time by the prober, never by `fetch`:
 * a hop to the same origin (scheme, host and port) keeps the configured headers, a hop to any other
 * origin drops them (and the resolve override), so a redirect cannot carry an origin's secrets to a
 * host it names.
 */

/** Bytes of body a probe reads at most when it looks for `expectedBody`. */
export const MAX_PROBE_BODY_BYTES = 64 * 1024;

export const PROBE_USER_AGENT = "edge-lb-health-check/1";
/** Sent by a prober that stands for a region (`healthCheck.regions`): the region it probes from. */
export const PROBE_REGION_HEADER = "x-edge-lb-probe-region";

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
  /** Whether the prober follows redirects (one hop at a time, see `redirectHop`). */
  followRedirects: boolean;
}

/** Redirects a probe follows at most; the answer after that is judged as it is. */
export const MAX_PROBE_REDIRECTS = 5;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

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
export function buildProbeRequest(
  origin: ProbeOrigin,
  check: ProbeCheck,
  region: string | null = null,
): ProbeRequest {
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
  if (region !== null) headers[PROBE_REGION_HEADER] = region;
  return {
    url: target.toString(),
    method: check.method,
    headers,
    resolveOverride,
    followRedirects: check.followRedirects,
  };
}

/**
 * The request of the next hop when `response` (status and `Location`) of `request` is a redirect
 * to follow; null otherwise. Headers configured for the origin or the check go only to the same
 * origin (scheme, host and port) as the first request; `first` is that request's URL.
 * @example redirectHop(first.url, request, 302, "https://other.example/health")?.headers // { "user-agent": ... }
 */
export function redirectHop(
  first: string,
  request: ProbeRequest,
  status: number,
  location: string | null,
): ProbeRequest | null {
  if (!request.followRedirects || !REDIRECT_STATUSES.has(status) || !location) return null;
  let next: URL;
  try {
    next = new URL(location, request.url);
  } catch {
    return null;
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") return null;
  next.hash = "";
  if (next.origin === new URL(first).origin) return { ...request, url: next.toString() };
  return {
    ...request,
    url: next.toString(),
    headers: { "user-agent": request.headers["user-agent"] ?? PROBE_USER_AGENT },
    resolveOverride: null,
  };
}
