/**
 * The paths of the OpenAPI document: the configuration API built here, and the operational
 * endpoints (health, drain, status, explain, metrics) as API.md fixes them.
 */
import { DEFAULT_LIMIT, MAX_LIMIT } from "../config-routes.ts";
import { ETAG, IF_MATCH, idParam, json, ok, problems, READ_ERRORS, ref, WRITE_ERRORS } from "./path-parts.ts";

const LIMIT = {
  name: "limit",
  in: "query",
  required: false,
  description: `How many entries, newest first (1-${MAX_LIMIT}).`,
  schema: { type: "integer", minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
};

export function resourcePaths(
  collection: string,
  what: string,
  tag: string,
  input: string,
  stored: string,
): Record<string, Record<string, unknown>> {
  const base = `/__lb/api/v1/${collection}`;
  return {
    [base]: {
      get: {
        tags: [tag],
        summary: `List ${what}s`,
        description: "Sorted by id.",
        responses: {
          "200": ok(`Every ${what}.`, {
            type: "object",
            properties: { items: { type: "array", items: ref(stored) } },
          }),
          ...problems(...READ_ERRORS),
        },
      },
      post: {
        tags: [tag],
        summary: `Create a ${what}`,
        description: "Missing optional fields take their defaults. `version` in the body is ignored.",
        requestBody: { required: true, content: json(ref(input)) },
        responses: {
          "201": ok(`The ${what} as stored.`, ref(stored), {
            ...ETAG,
            Location: { description: `URL of the new ${what}.`, schema: { type: "string" } },
          }),
          ...problems(...WRITE_ERRORS, "Conflict"),
        },
      },
    },
    [`${base}/{id}`]: {
      parameters: [idParam(what)],
      get: {
        tags: [tag],
        summary: `Get a ${what}`,
        responses: { "200": ok(`The ${what}.`, ref(stored), ETAG), ...problems(...READ_ERRORS, "NotFound") },
      },
      put: {
        tags: [tag],
        summary: `Replace a ${what}`,
        description:
          "Missing optional fields take their defaults. `id` may be left out but must equal the path id; `version` is ignored.",
        parameters: [IF_MATCH],
        requestBody: { required: true, content: json(ref(input)) },
        responses: {
          "200": ok(`The ${what} as stored.`, ref(stored), ETAG),
          ...problems(...WRITE_ERRORS, "NotFound", "Conflict", "PreconditionFailed"),
        },
      },
      patch: {
        tags: [tag],
        summary: `Change part of a ${what}`,
        description:
          "A JSON merge patch (RFC 7396) applied to the stored resource, then validated in full: members merge, `null` " +
          "removes a member (it takes its default), arrays are replaced. `id` cannot change.",
        parameters: [IF_MATCH],
        requestBody: {
          required: true,
          content: {
            ...json({ type: "object" }, "application/merge-patch+json"),
            ...json({ type: "object" }),
          },
        },
        responses: {
          "200": ok(`The ${what} as stored.`, ref(stored), ETAG),
          ...problems(...WRITE_ERRORS, "NotFound", "Conflict", "PreconditionFailed"),
        },
      },
      delete: {
        tags: [tag],
        summary: `Delete a ${what}`,
        ...(collection === "pools"
          ? { description: "A pool that a load balancer names cannot be deleted (409)." }
          : {}),
        parameters: [IF_MATCH],
        responses: {
          "204": { description: "Deleted." },
          ...problems(
            "Unauthorized",
            "Forbidden",
            "NotFound",
            "PreconditionFailed",
            "Unavailable",
            "Conflict",
          ),
        },
      },
    },
  };
}

/** Every path the Worker answers under `/__lb`. */
export function openApiPaths(): Record<string, Record<string, unknown>> {
  const noAuth = { security: [] };
  return {
    ...resourcePaths("pools", "pool", "pools", "Pool", "PoolResource"),
    "/__lb/api/v1/pools/{id}/health": {
      get: {
        tags: ["operations"],
        summary: "Health of a pool and its origins",
        parameters: [idParam("pool")],
        responses: {
          "200": ok("Current health.", ref("PoolHealth")),
          ...problems(...READ_ERRORS, "NotFound"),
        },
      },
    },
    "/__lb/api/v1/pools/{id}/history": {
      get: {
        tags: ["operations"],
        summary: "A pool's history, one point a minute",
        description:
          "Per origin and for the pool: requests, failed attempts by kind, retries, p50/p95 response time, " +
          "in flight and state, from the figures edges' reports carry (no call on the request path), with the " +
          "window's health events. Kept for 24 hours.",
        parameters: [
          idParam("pool"),
          {
            name: "window",
            in: "query",
            required: false,
            description: "How far back: `1h` (default) or `24h`.",
            schema: { type: "string", enum: ["1h", "24h"], default: "1h" },
          },
        ],
        responses: {
          "200": ok("The window's points and events.", ref("PoolHistory")),
          ...problems(...READ_ERRORS, "BadRequest", "NotFound"),
        },
      },
    },
    ...Object.fromEntries(
      (["drain", "undrain"] as const).map((action) => [
        `/__lb/api/v1/pools/{id}/origins/{name}/${action}`,
        {
          post: {
            tags: ["operations"],
            summary: action === "drain" ? "Drain an origin" : "Undrain an origin",
            description:
              action === "drain"
                ? "Sets the origin's weight to 0; it reports `draining` until its in-flight count reaches 0."
                : "Restores the weight the origin had before it was drained.",
            parameters: [
              idParam("pool"),
              {
                name: "name",
                in: "path",
                required: true,
                description: "The origin name.",
                schema: { type: "string" },
              },
            ],
            responses: {
              "200": ok("The origin's new state.", ref("DrainResult")),
              ...problems("Unauthorized", "Forbidden", "NotFound", "Unavailable"),
            },
          },
        },
      ]),
    ),
    ...resourcePaths(
      "load_balancers",
      "load balancer",
      "load balancers",
      "LoadBalancer",
      "LoadBalancerResource",
    ),
    "/__lb/api/v1/config": {
      get: {
        tags: ["configuration"],
        summary: "The whole configuration",
        description:
          "Pools and load balancers as one document; the ETag is the global configuration version.",
        responses: {
          "200": ok("The configuration.", ref("ConfigResponse"), ETAG),
          ...problems(...READ_ERRORS),
        },
      },
      put: {
        tags: ["configuration"],
        summary: "Replace the whole configuration",
        description:
          "All or nothing: every resource is validated, ids are unique per kind, every pool a load balancer names " +
          "is in the document, and no two load balancers share hostname and pathPrefix. Resources that do not " +
          "change keep their version. `If-Match` is compared with the global version.",
        parameters: [
          IF_MATCH,
          {
            name: "dryRun",
            in: "query",
            required: false,
            description: "Validate and report what would change, without changing anything.",
            schema: { type: "boolean", default: false },
          },
        ],
        requestBody: { required: true, content: json(ref("ConfigDocument")) },
        responses: {
          "200": ok("What changed (or would change).", ref("ConfigReplaceResult"), ETAG),
          ...problems(...WRITE_ERRORS, "PreconditionFailed"),
        },
      },
    },
    "/__lb/api/v1/events": {
      get: {
        tags: ["configuration"],
        summary: "Recent events",
        description: "Health transitions, ejections, failovers and configuration changes, newest first.",
        parameters: [LIMIT],
        responses: { "200": ok("Events.", ref("EventList")), ...problems("BadRequest", ...READ_ERRORS) },
      },
    },
    "/__lb/api/v1/audit": {
      get: {
        tags: ["configuration"],
        summary: "The audit log",
        description: "Every configuration change, newest first (the newest 10,000 are kept).",
        parameters: [LIMIT],
        responses: {
          "200": ok("Audit entries.", {
            type: "object",
            properties: { items: { type: "array", items: ref("AuditEntry") } },
          }),
          ...problems("BadRequest", ...READ_ERRORS),
        },
      },
    },
    "/__lb/api/v1/status": {
      get: {
        tags: ["operations"],
        summary: "What every load balancer serves from now",
        responses: { "200": ok("Status.", ref("Status")), ...problems(...READ_ERRORS) },
      },
    },
    "/__lb/api/v1/overview": {
      get: {
        tags: ["operations"],
        summary: "Every load balancer and pool with its health, in one answer (the dashboard's view)",
        description:
          "Built from the pool snapshots the answering edge holds, not one Durable Object call per pool: " +
          "a snapshot older than `reads.maxAgeMs` is read again, at most `reads.cap` per request (the oldest " +
          "first); the others are answered as they are and marked `stale` with their `ageMs`. Each pool's " +
          "`health` is what `GET /pools/{id}/health` gives for the same snapshot.",
        responses: { "200": ok("The overview.", ref("Overview")), ...problems(...READ_ERRORS) },
      },
    },
    "/__lb/api/v1/explain": {
      get: {
        tags: ["operations"],
        summary: "Explain where a request would go",
        description:
          "Runs the proxy's own decisions on this edge's current configuration and health, changing nothing " +
          "(round robin names its next origin without moving on). Describe request headers (cookies, hash " +
          "keys) with repeatable `header.<name>=<value>` parameters. A request the proxy would answer itself " +
          "(404, 503, 508, or a respond or redirect rule) is still a 200 here, with `wouldRespond`; `rules` " +
          "names the rule that matched and why each earlier one did not. Unknown parameters are a 400.",
        parameters: [
          {
            name: "url",
            in: "query",
            required: true,
            description: "The absolute http or https URL of the request: its hostname and path are matched.",
            schema: { type: "string" },
          },
          {
            name: "method",
            in: "query",
            required: false,
            description: "The request method, for rules that look at it (default GET).",
            schema: { type: "string", pattern: "^[A-Z]{1,16}$", default: "GET" },
          },
          {
            name: "ip",
            in: "query",
            required: false,
            description: "The client address (IPv4 or IPv6), for ip hashing and ip affinity.",
            schema: { type: "string" },
          },
          {
            name: "country",
            in: "query",
            required: false,
            description:
              "ISO 3166-1 alpha-2 country of the client, for rules and geo steering (request.cf.country); its continent follows unless continent is given.",
            schema: { type: "string", pattern: "^[A-Za-z]{2}$" },
          },
          {
            name: "continent",
            in: "query",
            required: false,
            description:
              "Continent code of the client, e.g. EU, for rules and geo steering (request.cf.continent); by default the country's.",
            schema: { type: "string", pattern: "^[A-Za-z]{2}$" },
          },
        ],
        responses: {
          "200": ok("The decision, step by step.", ref("Explain")),
          ...problems("BadRequest", ...READ_ERRORS),
        },
      },
    },
    "/__lb/metrics": {
      get: {
        tags: ["operations"],
        summary: "Prometheus metrics",
        description: "Text exposition format; needs the read or admin token.",
        responses: {
          "200": { description: "Metrics.", content: { "text/plain": { schema: { type: "string" } } } },
          ...problems(...READ_ERRORS),
        },
      },
    },
    "/__lb/healthz": {
      get: {
        tags: ["meta"],
        summary: "Liveness of the Worker",
        description: "200 while the Worker can read its configuration, else 503. No auth.",
        ...noAuth,
        responses: {
          "200": ok("Healthy.", ref("Healthz")),
          "503": { $ref: "#/components/responses/Unavailable" },
        },
      },
    },
    "/__lb/openapi.json": {
      get: {
        tags: ["meta"],
        summary: "This document",
        ...noAuth,
        responses: { "200": ok("OpenAPI 3.1.", { type: "object" }) },
      },
    },
    "/__lb/docs": {
      get: {
        tags: ["meta"],
        summary: "This document as a page",
        ...noAuth,
        responses: {
          "200": { description: "HTML.", content: { "text/html": { schema: { type: "string" } } } },
        },
      },
    },
  };
}
