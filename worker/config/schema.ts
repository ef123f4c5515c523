/**
 * The resource model: zod schemas for pools, load balancers and the whole configuration document.
 * Types, defaults, validation and the OpenAPI document all come from here: each field's meaning is
 * written once, as `.meta({ description })` beside its rule. Pure: no runtime imports.
 */
import { z } from "zod";
import {
  HashOn,
  HeaderMap,
  HeaderName,
  HOST_HEADER_PATTERN,
  HOSTNAME_PATTERN,
  HttpMethod,
  OriginAddress,
  OriginName,
  Slug,
} from "./fields.ts";
import {
  checkTimeoutMs,
  defaultTimeoutMs,
  HealthCheckSchema,
  PassiveHealthSchema,
  PROBE_REGIONS,
} from "./health-checks.ts";
import { MirrorSchema, PoolOverrideHeader, RulesSchema, SplitOn } from "./traffic.ts";

export { checkTimeoutMs, defaultTimeoutMs, HealthCheckSchema, PassiveHealthSchema, PROBE_REGIONS };

export const OriginSchema = z.strictObject({
  name: OriginName.meta({ description: "Unique within the pool; appears in URLs and metrics." }),
  address: OriginAddress.meta({
    description: "http(s)://host[:port][/base path]; no credentials, query or fragment.",
  }),
  weight: z
    .number()
    .min(0)
    .max(1000)
    .default(1)
    .meta({ description: "Share of new traffic; 0 receives no new traffic (drain)." }),
  enabled: z
    .boolean()
    .default(true)
    .meta({ description: "false removes the origin from rotation; it is still health-checked." }),
  backup: z
    .boolean()
    .default(false)
    .meta({ description: "Used only when no non-backup origin of the pool is healthy." }),
  hostHeader: z
    .string()
    .toLowerCase()
    .regex(HOST_HEADER_PATTERN, "must be a hostname, optionally with :port")
    .nullable()
    .default(null)
    .meta({ description: "Host to present upstream (same-zone hostnames only on Cloudflare)." }),
  headers: HeaderMap.default({}).meta({
    description:
      "Extra request headers sent to this origin (printable ASCII values); Host, Content-Length and " +
      "hop-by-hop headers are refused.",
  }),
  maxConnections: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .nullable()
    .default(null)
    .meta({ description: "Cap on in-flight requests to this origin, across all edges; null: no cap." }),
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

/** Fields a client may send back unchanged from a GET; the server owns them. */
const ServerOwned = {
  version: z
    .number()
    .int()
    .positive()
    .optional()
    .meta({ description: "Read-only: 1 on creation, one more on each change; ignored in requests." }),
};

/** The id of a pool or a load balancer. */
const ResourceId = Slug.meta({ description: "Immutable slug chosen by the client." });
const ResourceDescription = z.string().max(1024).default("").meta({ description: "Free text for people." });

export const PoolSchema = z
  .strictObject({
    id: ResourceId,
    description: ResourceDescription,
    enabled: z.boolean().default(true).meta({ description: "A disabled pool counts as unhealthy." }),
    algorithm: Algorithm.default("round_robin").meta({
      description:
        "round_robin (smooth weighted), random (weighted), least_connections, least_request (power of two " +
        "choices), least_time, hash, first.",
    }),
    hashOn: HashOn.default("ip").meta({
      description: 'For algorithm "hash": ip, path, header:<name>, cookie:<name> or query:<name>.',
    }),
    minimumOrigins: z.number().int().min(1).max(1000).default(1).meta({
      description:
        "The pool is healthy while at least this many origins are healthy; at most the number of origins.",
    }),
    slowStartSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(0)
      .meta({ description: "A recovered or new origin ramps its weight up over this time." }),
    origins: z
      .array(OriginSchema)
      .min(1)
      .max(1000)
      .meta({ description: "1 to 1000 origins, names unique within the pool." }),
    healthCheck: HealthCheckSchema.nullable().default(null).meta({
      description:
        "Active checks; null means none (origins count as healthy unless passive checks eject them); {} takes every default.",
    }),
    passiveHealth: PassiveHealthSchema.default(PassiveHealthSchema.parse({})).meta({
      description: "Outlier detection from live traffic.",
    }),
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
    type: z
      .enum(["none", "cookie", "header", "ip"])
      .default("none")
      .meta({ description: "none, cookie (signed, HttpOnly, SameSite=Lax), header or ip." }),
    cookieName: z
      .string()
      .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/, "must be a valid cookie name")
      .default("__lb")
      .meta({ description: 'The cookie that carries the pin, for type "cookie".' }),
    headerName: HeaderName.nullable().default(null).meta({ description: 'Required for type "header".' }),
    ttlSeconds: z
      .number()
      .int()
      .min(1)
      .max(31_536_000)
      .default(82_800)
      .meta({ description: "How long a pin lasts." }),
    onOriginFailure: z.enum(["reselect", "temporary"]).default("reselect").meta({
      description:
        "reselect: pick again and re-pin; temporary: use another origin while the pinned one is down.",
    }),
    // Health: drain that keeps sessions.
    drainSeconds: z.number().int().min(0).max(86_400).default(0).meta({
      description:
        "How long clients pinned to an origin drained through the API keep reaching it after the drain began; 0: they move at once.",
    }),
  })
  .superRefine((affinity, ctx) => {
    if (affinity.type === "header" && !affinity.headerName) {
      ctx.addIssue({ code: "custom", path: ["headerName"], message: 'is required when type is "header"' });
    }
  });

export const RetriesSchema = z.strictObject({
  attempts: z.number().int().min(0).max(5).default(2).meta({ description: "Extra tries on other origins." }),
  onStatus: z
    .array(z.number().int().min(500).max(599))
    .max(100)
    .default([502, 503, 504])
    .meta({ description: "Statuses that count as failures and are retried." }),
  methods: z
    .array(HttpMethod)
    .max(32)
    .default(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
    .meta({ description: "Methods that may be retried (idempotent by default)." }),
  bufferBodyBytes: z
    .number()
    .int()
    .min(0)
    .max(10 * 1024 * 1024)
    .default(65_536)
    .meta({
      description:
        "Bodies up to this size (at most 10 MiB) are kept so the request can be retried, while the isolate's buffer budget (32 MiB over all requests in flight) allows; beyond it a body is streamed without retry.",
    }),
});

export const TimeoutsSchema = z.strictObject({
  requestMs: z
    .number()
    .int()
    .min(1)
    .max(600_000)
    .default(30_000)
    .meta({ description: "How long each attempt waits for the response headers of an origin." }),
});

export const STEERING = ["failover", "random", "geo", "least_connections", "hash"] as const;

export const LoadBalancerSchema = z
  .strictObject({
    id: ResourceId,
    description: ResourceDescription,
    hostname: z
      .string()
      .toLowerCase()
      .regex(HOSTNAME_PATTERN, 'must be a hostname such as "www.example.com" or "*.example.com"')
      .max(253)
      .meta({ description: 'Exact, or a wildcard "*.example.com"; stored lower case; "localhost" allowed.' }),
    pathPrefix: z
      .string()
      .regex(/^\/[^\s?#]*$/, "must start with / and contain no spaces, ? or #")
      .max(1024)
      .default("/")
      .meta({
        description:
          "Longest matching prefix wins among load balancers of the same hostname; compared percent-decoded where RFC 3986 allows (`/%61dmin` is `/admin`). At most 1024 characters.",
      }),
    enabled: z.boolean().default(true).meta({ description: "A disabled load balancer matches no request." }),
    pools: z
      .array(Slug)
      .min(1)
      .max(20)
      .meta({ description: "Pool ids in failover order, no duplicates; each must exist." }),
    fallbackPool: Slug.nullable()
      .default(null)
      .meta({ description: "Used when no pool is healthy; its health is ignored. Must exist." }),
    steering: z
      .enum(STEERING)
      .default("failover")
      .meta({
        description:
          "failover (first healthy pool in order), random (weighted by poolWeights), geo (regionPools/countryPools, " +
          "then pools), least_connections (pool with the fewest in-flight requests), hash (a consistent hash of " +
          "splitOn picks the pool, weighted by poolWeights, so each client stays on one pool).",
      }),
    poolWeights: z.record(Slug, z.number().min(0).max(1000)).default({}).meta({
      description:
        'Pool id to weight, for steering "random" and "hash" (absent: 1); keys must be in pools or a rule\'s pools.',
    }),
    regionPools: z
      .record(
        z.string().regex(/^[A-Z]{2,5}$/, "must be an upper-case region or continent code"),
        z.array(Slug).min(1).max(20),
      )
      .refine((map) => Object.keys(map).length <= 64, "must have at most 64 regions")
      .default({})
      .meta({ description: 'Region or continent code to pools, e.g. {"WEUR": ["web-eu"]}.' }),
    countryPools: z
      .record(
        z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166 alpha-2 country code"),
        z.array(Slug).min(1).max(20),
      )
      .refine((map) => Object.keys(map).length <= 250, "must have at most 250 countries")
      .default({})
      .meta({ description: 'ISO 3166 alpha-2 country code to pools, e.g. {"US": ["web-us"]}.' }),
    sessionAffinity: SessionAffinitySchema.default(SessionAffinitySchema.parse({})).meta({
      description: "Keeps a client on the origin it first reached.",
    }),
    retries: RetriesSchema.default(RetriesSchema.parse({})).meta({
      description: "When a failed attempt is tried again on another origin.",
    }),
    timeouts: TimeoutsSchema.default(TimeoutsSchema.parse({})).meta({
      description: "Limits on waiting for origins.",
    }),
    debugHeaders: z
      .boolean()
      .default(false)
      .meta({ description: "Add x-lb-pool, x-lb-origin and Server-Timing to responses." }),
    // Traffic management (docs/traffic.md): hash steering's key, pool override, rules, mirroring.
    splitOn: SplitOn,
    poolOverrideHeader: PoolOverrideHeader,
    rules: RulesSchema,
    mirror: MirrorSchema,
    ...ServerOwned,
  })
  .superRefine((lb, ctx) => {
    const seen = new Set<string>();
    lb.pools.forEach((pool, i) => {
      if (seen.has(pool))
        ctx.addIssue({ code: "custom", path: ["pools", i], message: `duplicate pool "${pool}"` });
      seen.add(pool);
    });
    for (const rule of lb.rules) for (const pool of rule.then.pools ?? []) seen.add(pool);
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
