/**
 * HTTP header vocabulary shared by the proxy, the configuration schema and the health checks.
 * Pure: no runtime imports.
 */

/** Counts how many times a request passed through this load balancer, to stop routing loops. */
export const HOPS_HEADER = "x-edge-lb-hops";
/** A request that arrives having passed this many times is refused with 508. */
export const MAX_HOPS = 5;

/**
 * Hop-by-hop headers (RFC 9110 section 7.6.1 plus the common legacy ones). `Proxy-Authorization` and
 * `Proxy-Authenticate` are meant for the next proxy only, so they are never forwarded either way.
 */
export const HOP_BY_HOP_HEADERS: readonly string[] = [
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

/**
 * Headers the proxy owns: configuring them in `origins[].headers` or `healthCheck.headers` is refused,
 * since it would break loop detection, forwarding or framing (an origin header `x-edge-lb-hops: 0`
 * would switch loop detection off). `x-forwarded-*` covers every header of that prefix.
 */
export const RESERVED_HEADERS: readonly string[] = [
  "host",
  "content-length",
  HOPS_HEADER,
  "x-request-id",
  ...HOP_BY_HOP_HEADERS,
];

/** Prefixes of reserved header names. */
export const RESERVED_HEADER_PREFIXES: readonly string[] = ["x-forwarded-"];

/**
 * Whether a configured header may not be set because the proxy owns it (case-insensitive).
 * @example isReservedHeader("X-Forwarded-For") === true
 */
export function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    RESERVED_HEADERS.includes(lower) || RESERVED_HEADER_PREFIXES.some((prefix) => lower.startsWith(prefix))
  );
}
