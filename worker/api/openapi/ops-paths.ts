/**
 * The paths of configuration history and rollback, notifications, and `POST /explain` (API.md,
 * "v1 additions").
 */

import { LB_HISTORY_MAX_POOLS } from "../../metrics/lb-history.ts";
import { MAX_LIMIT } from "../config-routes.ts";
import { VERSIONS_DEFAULT_LIMIT } from "../history-routes.ts";
import { ETAG, IF_MATCH, idParam, json, ok, problems, READ_ERRORS, ref, WRITE_ERRORS } from "./path-parts.ts";
import { resourcePaths } from "./paths.ts";

const DRY_RUN = {
  name: "dryRun",
  in: "query",
  required: false,
  description: "Validate and report what would change, without changing anything.",
  schema: { type: "boolean", default: false },
};

/** History, rollback, notifications and the candidate form of explain. */
export function opsPaths(): Record<string, Record<string, unknown>> {
  return {
    "/__lb/api/v1/config/versions": {
      get: {
        tags: ["configuration"],
        summary: "Configuration history",
        description:
          "Every change of the configuration, through any endpoint, keeps the whole document as it was after it; " +
          "at least the last 100 versions are kept. Newest first.",
        parameters: [
          {
            name: "limit",
            in: "query",
            required: false,
            description: `How many versions, newest first (1-${MAX_LIMIT}).`,
            schema: { type: "integer", minimum: 1, maximum: MAX_LIMIT, default: VERSIONS_DEFAULT_LIMIT },
          },
        ],
        responses: {
          "200": ok("The kept versions.", ref("ConfigVersionList")),
          ...problems("BadRequest", ...READ_ERRORS),
        },
      },
    },
    "/__lb/api/v1/config/versions/{version}": {
      get: {
        tags: ["configuration"],
        summary: "The configuration as it was after a version",
        parameters: [
          {
            name: "version",
            in: "path",
            required: true,
            description: "A configuration version from GET /config/versions.",
            schema: { type: "integer", minimum: 1 },
          },
        ],
        responses: {
          "200": ok("The whole document, as GET /config showed it then.", ref("ConfigResponse"), ETAG),
          ...problems(...READ_ERRORS, "NotFound"),
        },
      },
    },
    "/__lb/api/v1/config/rollback": {
      post: {
        tags: ["configuration"],
        summary: "Make an earlier version current again",
        description:
          "Replaces the configuration with version N's document as a new version, with the same validation and " +
          "transaction as PUT /config (a document no longer valid is refused with 400). `If-Match` is compared " +
          "with the current global version.",
        parameters: [IF_MATCH, DRY_RUN],
        requestBody: {
          required: true,
          content: json({
            type: "object",
            required: ["version"],
            additionalProperties: false,
            properties: { version: { type: "integer", minimum: 1, description: "The version to restore." } },
          }),
        },
        responses: {
          "200": ok("What changed (or would change).", ref("RollbackResult"), ETAG),
          ...problems(...WRITE_ERRORS, "NotFound", "PreconditionFailed"),
        },
      },
    },
    "/__lb/api/v1/load_balancers/{id}/history": {
      get: {
        tags: ["operations"],
        summary: "A load balancer's history, one point a minute",
        description:
          "The load balancer's pools' histories (GET /pools/{id}/history) combined: requests, failed attempts " +
          "and retries summed per minute; as p95 the highest of the pools' p95 (percentiles do not add; the " +
          "maximum never understates). Events: the pools' health changes and ejections, and the load balancer's " +
          "failovers and failbacks derived from its pools' transitions. Pools read: `pools`, `fallbackPool`, " +
          `then pools named only by rules, regions or countries, at most ${LB_HISTORY_MAX_POOLS} (one PoolState ` +
          "read each); the mirror pool is left out. A pool shared with other load balancers counts all its traffic.",
        parameters: [
          idParam("load balancer"),
          {
            name: "window",
            in: "query",
            required: false,
            description: "How far back: `1h` (default) or `24h`.",
            schema: { type: "string", enum: ["1h", "24h"], default: "1h" },
          },
        ],
        responses: {
          "200": ok("The window's points and events.", ref("LoadBalancerHistory")),
          ...problems(...READ_ERRORS, "BadRequest", "NotFound"),
        },
      },
    },
    ...resourcePaths(
      "notifications",
      "notification",
      "notifications",
      "Notification",
      "NotificationResource",
    ),
    "/__lb/api/v1/notifications/{id}/deliveries": {
      get: {
        tags: ["notifications"],
        summary: "Recent delivery attempts",
        parameters: [idParam("notification")],
        responses: {
          "200": ok("Attempts and pending deliveries.", ref("DeliveryList")),
          ...problems("BadRequest", ...READ_ERRORS, "NotFound"),
        },
      },
    },
    "/__lb/api/v1/notifications/{id}/test": {
      post: {
        tags: ["notifications"],
        summary: "Send a test event",
        description: "Sends an event of type `test` at once, signed like any other, and reports the answer.",
        parameters: [idParam("notification")],
        responses: {
          "200": ok("The receiver's answer.", ref("NotificationTestResult")),
          ...problems("Unauthorized", "Forbidden", "NotFound", "Unavailable"),
        },
      },
    },
  };
}

/** `POST /explain`, merged into the path item of `GET /explain`. */
export const EXPLAIN_POST = {
  tags: ["operations"],
  summary: "Compare a candidate configuration on a list of requests",
  description:
    "For each request (at most 1,000), where it goes now and where it would go under `config`, with the live " +
    "pool health, and a summary: the share that changes load balancer, pool or origin, and the affinity pins " +
    "that would break. Nothing is stored or changed; the read token is enough.",
  requestBody: { required: true, content: json(ref("ImpactRequest")) },
  responses: {
    "200": ok("Each request now and under the candidate, and the summary.", ref("Impact")),
    ...problems("BadRequest", ...READ_ERRORS, "ContentTooLarge", "UnsupportedMediaType"),
  },
};
