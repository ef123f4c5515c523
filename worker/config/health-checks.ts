/**
 * How an origin's health is judged: active checks (`healthCheck`) and passive ejection
 * (`passiveHealth`), their fields, defaults and the timeout derived from the interval. Part of the
 * resource model (schema.ts); pure.
 */
import { z } from "zod";
import { ExpectedCodes, HeaderMap } from "./fields.ts";

/** Durable Object location hints a health check may probe from (`healthCheck.regions`). */
export const PROBE_REGIONS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"] as const;

export const HealthCheckSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .meta({ description: "false turns the active checks off; the settings are kept." }),
    path: z
      .string()
      .regex(/^\/[^\s]*$/, "must start with / and contain no spaces")
      .max(2048)
      .default("/")
      .meta({ description: "Path requested on each origin, below its base path." }),
    method: z.enum(["GET", "HEAD"]).default("GET").meta({ description: "HEAD cannot check expectedBody." }),
    headers: HeaderMap.default({}).meta({ description: "Extra request headers sent with each check." }),
    expectedCodes: ExpectedCodes.default("2xx").meta({
      description: 'Codes, classes or ranges that count as success, e.g. "200", "2xx", "200-299,301".',
    }),
    expectedBody: z
      .string()
      .min(1)
      .max(4096)
      .nullable()
      .default(null)
      .meta({ description: "A substring the body must contain; null: the body is not read." }),
    intervalSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(15)
      .meta({ description: "Time between checks." }),
    timeoutMs: z.number().int().min(100).max(600_000).optional().meta({
      description: "Must be less than the interval. Default 5000, or half the interval when that is shorter.",
    }),
    healthyThreshold: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(2)
      .meta({ description: "Consecutive successes to become healthy (rise)." }),
    unhealthyThreshold: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(3)
      .meta({ description: "Consecutive failures to become unhealthy (fall)." }),
    followRedirects: z
      .boolean()
      .default(false)
      .meta({ description: "Follow 3xx answers; false judges the 3xx status itself." }),
    // Health: TCP checks.
    type: z.enum(["http", "tcp"]).default("http").meta({
      description:
        "`http`: a request judged by status and body; `tcp`: a connection to the origin's host and port (path, method, headers, codes and body are then unused).",
    }),
    // Health: checks from several regions, healthy by majority.
    regions: z
      .array(z.enum(PROBE_REGIONS))
      .max(PROBE_REGIONS.length)
      .default([])
      .refine((list) => new Set(list).size === list.length, "must not name a region twice")
      .meta({
        description:
          'Regions (Durable Object location hints) probing every origin, e.g. ["wnam", "weur", "apac"]: one prober per region, and an origin is healthy when a strict majority of them see it healthy. [] = one prober.',
      }),
  })
  .superRefine((check, ctx) => {
    if (check.timeoutMs !== undefined && check.timeoutMs >= check.intervalSeconds * 1000) {
      ctx.addIssue({
        code: "custom",
        path: ["timeoutMs"],
        message: `must be less than intervalSeconds (${check.intervalSeconds * 1000} ms)`,
      });
    }
  });

/**
 * The timeout of a check that names none: 5000 ms, or half the interval when that is shorter, so
 * `{"intervalSeconds": 1}` alone is a valid check.
 * @example defaultTimeoutMs(15) // 5000; defaultTimeoutMs(2) // 1000
 */
export function defaultTimeoutMs(intervalSeconds: number): number {
  return Math.min(5000, intervalSeconds * 500);
}

/**
 * The timeout a check runs with: its `timeoutMs`, or the default derived from its interval. The
 * default is derived where it is used, never stored: a stored default would be carried along by a
 * later merge patch that changes only the interval, and then contradict it.
 * @example checkTimeoutMs({ intervalSeconds: 2 }) // 1000
 */
export function checkTimeoutMs(check: {
  readonly timeoutMs?: number | undefined;
  readonly intervalSeconds: number;
}): number {
  return check.timeoutMs ?? defaultTimeoutMs(check.intervalSeconds);
}

export const PassiveHealthSchema = z.strictObject({
  enabled: z.boolean().default(true).meta({ description: "false never ejects an origin for live failures." }),
  consecutiveFailures: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(5)
    .meta({ description: "Failed requests in a row (as `failOn` defines them) before an ejection." }),
  ejectionSeconds: z
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(30)
    .meta({ description: "First ejection; repeated ejections grow, capped at 10x." }),
  maxEjectionPercent: z.number().int().min(0).max(100).default(50).meta({
    description:
      "Never eject more than this share of a pool's enabled origins (rounded down), and never its last usable origin.",
  }),
  // Health: what counts against an origin.
  failOn: z.enum(["gateway", "5xx"]).default("gateway").meta({
    description:
      "What counts as a failed request: `gateway` (connection failures, timeouts, 502, 503, 504) or `5xx` (every 5xx status of the origin except 508).",
  }),
  failureRatePercent: z.number().int().min(1).max(100).nullable().default(null).meta({
    description:
      "Eject an origin when at least this share of its requests failed in the last 10 s, summed over all edges, once it had `minRequests` requests there; null turns the rule off.",
  }),
  minRequests: z.number().int().min(1).max(1_000_000).default(20).meta({
    description: "Requests an origin needs in the last 10 s before `failureRatePercent` judges it.",
  }),
});
