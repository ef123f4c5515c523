/**
 * The resource model: zod schemas for pools, load balancers and the whole configuration document.
 * Types, defaults, validation and the OpenAPI document all come from here. Pure: no runtime imports.
 */
import { z } from "zod";
import { HOP_BY_HOP_HEADERS } from "../http/headers.ts";

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const SLUG_MESSAGE = "must be 1-63 characters of a-z, 0-9, '-' or '_', starting with a letter or digit";

export const Slug = z.string().regex(SLUG_PATTERN, SLUG_MESSAGE);

/** Origin names appear in URLs (`/origins/{name}/drain`), so they stay URL-safe. */
export const ORIGIN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const OriginName = z
  .string()
  .regex(ORIGIN_NAME_PATTERN, "must be 1-63 characters of A-Z, a-z, 0-9, '.', '-' or '_'");

/** RFC 9110 token characters. */
const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be a valid HTTP header name");

/** Headers the proxy owns; configuring them per origin or per check would break the contract. */
const RESERVED_HEADERS = new Set(["host", "content-length", ...HOP_BY_HOP_HEADERS]);

const HeaderMap = z
  .record(
    HeaderName,
    z
      .string()
      .max(8192)
      // Visible ASCII, space and tab: what a header value may carry on every runtime and upstream.
      .regex(/^[\t\x20-\x7e]*$/, "must be printable ASCII (no CR, LF, NUL or other control characters)"),
  )
  .superRefine((headers, ctx) => {
    for (const name of Object.keys(headers)) {
      if (RESERVED_HEADERS.has(name.toLowerCase())) {
        ctx.addIssue({ code: "custom", path: [name], message: `header "${name}" is managed by the proxy` });
      }
    }
  });

const HOSTNAME_LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HOSTNAME_PATTERN = new RegExp(`^(?:\\*\\.)?${HOSTNAME_LABEL}(?:\\.${HOSTNAME_LABEL})*$`);
const HOST_HEADER_PATTERN = new RegExp(`^${HOSTNAME_LABEL}(?:\\.${HOSTNAME_LABEL})*(?::\\d{1,5})?$`);

/** An origin address: http(s), a host, an optional port and base path; no credentials, query or fragment. */
export const OriginAddress = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: "custom", message: "must be an absolute http:// or https:// URL" });
    return;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    ctx.addIssue({ code: "custom", message: "scheme must be http or https" });
  } else if (url.username || url.password) {
    ctx.addIssue({ code: "custom", message: "must not contain credentials" });
  } else if (url.search || url.hash || value.includes("?") || value.includes("#")) {
    ctx.addIssue({ code: "custom", message: "must not contain a query or fragment" });
  } else if (!url.hostname) {
    ctx.addIssue({ code: "custom", message: "must name a host" });
  }
});

export const OriginSchema = z.strictObject({
  name: OriginName,
  address: OriginAddress,
  weight: z.number().min(0).max(1000).default(1),
  enabled: z.boolean().default(true),
  backup: z.boolean().default(false),
  hostHeader: z
    .string()
    .toLowerCase()
    .regex(HOST_HEADER_PATTERN, "must be a hostname, optionally with :port")
    .nullable()
    .default(null),
  headers: HeaderMap.default({}),
  maxConnections: z.number().int().min(1).max(1_000_000).nullable().default(null),
});

const STATUS_ITEM = /^(?:[1-5]xx|[1-5]\d\d(?:-[1-5]\d\d)?)$/;
export const ExpectedCodes = z
  .string()
  .transform((s) => s.replace(/\s+/g, ""))
  .refine((s) => s.length > 0 && s.split(",").every((item) => STATUS_ITEM.test(item)), {
    message: 'must be a list of codes, classes or ranges, e.g. "200", "2xx", "200-299,301"',
  });

export const HealthCheckSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    path: z
      .string()
      .regex(/^\/[^\s]*$/, "must start with / and contain no spaces")
      .max(2048)
      .default("/"),
    method: z.enum(["GET", "HEAD"]).default("GET"),
    headers: HeaderMap.default({}),
    expectedCodes: ExpectedCodes.default("2xx"),
    expectedBody: z.string().min(1).max(4096).nullable().default(null),
    intervalSeconds: z.number().int().min(1).max(3600).default(15),
    timeoutMs: z.number().int().min(100).max(600_000).optional(),
    healthyThreshold: z.number().int().min(1).max(100).default(2),
    unhealthyThreshold: z.number().int().min(1).max(100).default(3),
    followRedirects: z.boolean().default(false),
  })
  .superRefine((check, ctx) => {
    if (check.timeoutMs !== undefined && check.timeoutMs >= check.intervalSeconds * 1000) {
      ctx.addIssue({
        code: "custom",
        path: ["timeoutMs"],
        message: `must be less than intervalSeconds (${check.intervalSeconds * 1000} ms)`,
      });
    }
  })
  .transform(({ timeoutMs, ...check }) => ({
    ...check,
    timeoutMs: timeoutMs ?? defaultTimeoutMs(check.intervalSeconds),
  }));

/**
 * The timeout of a check that names none: 5000 ms, or half the interval when that is shorter, so
 * `{"intervalSeconds": 1}` alone is a valid check.
 * @example defaultTimeoutMs(15) // 5000; defaultTimeoutMs(2) // 1000
 */
export function defaultTimeoutMs(intervalSeconds: number): number {
  return Math.min(5000, intervalSeconds * 500);
}

export const PassiveHealthSchema = z.strictObject({
  enabled: z.boolean().default(true),
  consecutiveFailures: z.number().int().min(1).max(1000).default(5),
  ejectionSeconds: z.number().int().min(1).max(86_400).default(30),
  maxEjectionPercent: z.number().int().min(0).max(100).default(50),
});

export const ALGORITHMS = [
  "round_robin",
  "random",
  "least_connections",
  "least_request",
  "least_time",
  "hash",
  "first",
] as const;
export const Algorithm = z.enum(ALGORITHMS);

export const HashOn = z
  .string()
  .regex(
    /^(?:ip|path|(?:header|cookie|query):[!#$%&'*+.^_`|~0-9A-Za-z-]+)$/,
    'must be "ip", "path", "header:<name>", "cookie:<name>" or "query:<name>"',
  );

/** Fields a client may send back unchanged from a GET; the server owns them. */
const ServerOwned = {
  version: z.number().int().positive().optional(),
};

export const PoolSchema = z
  .strictObject({
    id: Slug,
    description: z.string().max(1024).default(""),
    enabled: z.boolean().default(true),
    algorithm: Algorithm.default("round_robin"),
    hashOn: HashOn.default("ip"),
    minimumOrigins: z.number().int().min(1).max(1000).default(1),
    slowStartSeconds: z.number().int().min(0).max(3600).default(0),
    origins: z.array(OriginSchema).min(1).max(1000),
    healthCheck: HealthCheckSchema.nullable().default(null),
    passiveHealth: PassiveHealthSchema.default(PassiveHealthSchema.parse({})),
    ...ServerOwned,
  })
  .superRefine((pool, ctx) => {
    const seen = new Map<string, number>();
    pool.origins.forEach((origin, i) => {
      const first = seen.get(origin.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["origins", i, "name"],
          message: `duplicate origin name "${origin.name}" (also origins[${first}])`,
        });
      } else seen.set(origin.name, i);
    });
    // With no origins at all, the error at `origins` says everything.
    if (pool.origins.length > 0 && pool.minimumOrigins > pool.origins.length) {
      ctx.addIssue({
        code: "custom",
        path: ["minimumOrigins"],
        message: `must not exceed the number of origins (${pool.origins.length})`,
      });
    }
  });

export const SessionAffinitySchema = z
  .strictObject({
    type: z.enum(["none", "cookie", "header", "ip"]).default("none"),
    cookieName: z
      .string()
      .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/, "must be a valid cookie name")
      .default("__lb"),
    headerName: HeaderName.nullable().default(null),
    ttlSeconds: z.number().int().min(1).max(31_536_000).default(82_800),
    onOriginFailure: z.enum(["reselect", "temporary"]).default("reselect"),
  })
  .superRefine((affinity, ctx) => {
    if (affinity.type === "header" && !affinity.headerName) {
      ctx.addIssue({ code: "custom", path: ["headerName"], message: 'is required when type is "header"' });
    }
  });

const HTTP_METHOD = z.string().regex(/^[A-Z]{1,16}$/, "must be an upper-case HTTP method, e.g. GET");

export const RetriesSchema = z.strictObject({
  attempts: z.number().int().min(0).max(5).default(2),
  onStatus: z.array(z.number().int().min(500).max(599)).max(100).default([502, 503, 504]),
  methods: z.array(HTTP_METHOD).max(32).default(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]),
  bufferBodyBytes: z
    .number()
    .int()
    .min(0)
    .max(100 * 1024 * 1024)
    .default(65_536),
});

export const TimeoutsSchema = z.strictObject({
  requestMs: z.number().int().min(1).max(600_000).default(30_000),
});

export const STEERING = ["failover", "random", "geo", "least_connections"] as const;

export const LoadBalancerSchema = z
  .strictObject({
    id: Slug,
    description: z.string().max(1024).default(""),
    hostname: z
      .string()
      .toLowerCase()
      .regex(HOSTNAME_PATTERN, 'must be a hostname such as "www.example.com" or "*.example.com"')
      .max(253),
    pathPrefix: z
      .string()
      .regex(/^\/[^\s?#]*$/, "must start with / and contain no spaces, ? or #")
      .default("/"),
    enabled: z.boolean().default(true),
    pools: z.array(Slug).min(1).max(20),
    fallbackPool: Slug.nullable().default(null),
    steering: z.enum(STEERING).default("failover"),
    poolWeights: z.record(Slug, z.number().min(0).max(1000)).default({}),
    regionPools: z
      .record(
        z.string().regex(/^[A-Z]{2,5}$/, "must be an upper-case region or continent code"),
        z.array(Slug).min(1),
      )
      .default({}),
    countryPools: z
      .record(
        z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166 alpha-2 country code"),
        z.array(Slug).min(1),
      )
      .default({}),
    sessionAffinity: SessionAffinitySchema.default(SessionAffinitySchema.parse({})),
    retries: RetriesSchema.default(RetriesSchema.parse({})),
    timeouts: TimeoutsSchema.default(TimeoutsSchema.parse({})),
    debugHeaders: z.boolean().default(false),
    ...ServerOwned,
  })
  .superRefine((lb, ctx) => {
    const seen = new Set<string>();
    lb.pools.forEach((pool, i) => {
      if (seen.has(pool))
        ctx.addIssue({ code: "custom", path: ["pools", i], message: `duplicate pool "${pool}"` });
      seen.add(pool);
    });
    for (const pool of Object.keys(lb.poolWeights)) {
      if (!seen.has(pool)) {
        ctx.addIssue({ code: "custom", path: ["poolWeights", pool], message: `"${pool}" is not in pools` });
      }
    }
  });

export const ConfigDocumentSchema = z.strictObject({
  pools: z.array(PoolSchema).max(10_000).default([]),
  loadBalancers: z.array(LoadBalancerSchema).max(10_000).default([]),
  version: z.number().int().nonnegative().optional(),
});

export type OriginInput = z.input<typeof OriginSchema>;
export type PoolInput = z.input<typeof PoolSchema>;
export type LoadBalancerInput = z.input<typeof LoadBalancerSchema>;
export type ConfigDocumentInput = z.input<typeof ConfigDocumentSchema>;

export type Origin = z.output<typeof OriginSchema>;
export type HealthCheck = z.output<typeof HealthCheckSchema>;
export type PassiveHealth = z.output<typeof PassiveHealthSchema>;
export type SessionAffinity = z.output<typeof SessionAffinitySchema>;
export type Retries = z.output<typeof RetriesSchema>;
export type AlgorithmName = z.output<typeof Algorithm>;
export type Steering = (typeof STEERING)[number];

/** A stored resource always carries its version. */
export type Pool = Omit<z.output<typeof PoolSchema>, "version"> & { version: number };
export type LoadBalancer = Omit<z.output<typeof LoadBalancerSchema>, "version"> & { version: number };

/** The whole configuration as the edge sees it: `version` grows on every change of anything. */
export interface ConfigSnapshot {
  version: number;
  pools: Pool[];
  loadBalancers: LoadBalancer[];
}
