/**
 * HTTP header vocabulary shared by the proxy, the configuration schema and the health checks.
 * Pure: no runtime imports.
 */

/** Counts how many times a request passed through this load balancer, to stop routing loops. */
export const HOPS_HEADER = "x-edge-lb-hops";
/** A request that arrives having passed this many times is refused with 508. */
export const MAX_HOPS = 5;

/** Hop-by-hop headers (RFC 9110 section 7.6.1 plus the common legacy ones). */
export const HOP_BY_HOP_HEADERS: readonly string[] = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];
