/**
 * What API.md says a pool, an origin and a load balancer hold when the client leaves a field out,
 * and a shorthand for many origins: shared by the defaults, limits and PUT/PATCH tests.
 */

export const HEALTH_CHECK_DEFAULTS = {
  enabled: true,
  path: "/",
  method: "GET",
  headers: {},
  expectedCodes: "2xx",
  expectedBody: null,
  intervalSeconds: 15,
  // timeoutMs: absent; the check runs with 5000 ms, or half the interval when shorter (never stored).
  healthyThreshold: 2,
  unhealthyThreshold: 3,
  followRedirects: false,
  type: "http",
  regions: [],
};

export const POOL_DEFAULTS = {
  description: "",
  enabled: true,
  algorithm: "round_robin",
  hashOn: "ip",
  minimumOrigins: 1,
  slowStartSeconds: 0,
  healthCheck: null,
  passiveHealth: {
    enabled: true,
    consecutiveFailures: 5,
    ejectionSeconds: 30,
    maxEjectionPercent: 50,
    failOn: "gateway",
    failureRatePercent: null,
    minRequests: 20,
  },
};

export const ORIGIN_DEFAULTS = {
  weight: 1,
  enabled: true,
  backup: false,
  hostHeader: null,
  headers: {},
  maxConnections: null,
};

export const LB_DEFAULTS = {
  pathPrefix: "/",
  enabled: true,
  fallbackPool: null,
  steering: "failover",
  poolWeights: {},
  regionPools: {},
  countryPools: {},
  sessionAffinity: {
    type: "none",
    cookieName: "__lb",
    headerName: null,
    ttlSeconds: 82800,
    onOriginFailure: "reselect",
    drainSeconds: 0,
  },
  retries: {
    attempts: 2,
    onStatus: [502, 503, 504],
    methods: ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"],
    bufferBodyBytes: 65536,
  },
  timeouts: { requestMs: 30000 },
  debugHeaders: false,
};

/** `count` origins o0, o1, … on distinct ports, each with `extra` fields. */
export function origins(count: number, extra: Record<string, unknown> = {}): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `o${i}`,
    address: `http://10.0.0.1:${i + 1}`,
    ...extra,
  }));
}
