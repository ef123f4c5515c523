/**
 * The OpenAPI 3.1 document of the management API, generated from the zod schemas that validate the
 * requests (input form: defaults shown, optional fields optional); field descriptions come from the
 * schemas' `.meta({ description })`. Served without auth: it holds no secrets.
 */
import { z } from "zod";
import { NotificationSchema } from "../../config/notification.ts";
import { ConfigDocumentSchema, LoadBalancerSchema, PoolSchema } from "../../config/schema.ts";
import { PoolHistorySchema } from "../../metrics/history.ts";
import { LoadBalancerHistorySchema } from "../../metrics/lb-history.ts";
import { ImpactBodySchema, ImpactSchema } from "../explain/impact-schema.ts";
import {
  DrainResultSchema,
  ExplainSchema,
  OverviewSchema,
  PoolHealthSchema,
  StatusSchema,
} from "./external.ts";
import { EXPLAIN_POST, opsPaths } from "./ops-paths.ts";
import {
  ConfigVersionListSchema,
  DeliveryListSchema,
  NotificationResourceSchema,
  NotificationTestResultSchema,
  RollbackResultSchema,
} from "./ops-schemas.ts";
import { openApiPaths } from "./paths.ts";
import {
  AuditEntrySchema,
  ConfigReplaceResultSchema,
  ConfigResponseSchema,
  EventListSchema,
  FieldErrorSchema,
  HealthzSchema,
  LoadBalancerResourceSchema,
  PoolResourceSchema,
  ProblemSchema,
} from "./response-schemas.ts";

export type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  security: Record<string, string[]>[];
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: {
    securitySchemes: Record<string, unknown>;
    schemas: Record<string, JsonSchema>;
    responses: Record<string, unknown>;
  };
}

const COMPONENTS: Record<string, z.ZodType> = {
  Pool: PoolSchema,
  LoadBalancer: LoadBalancerSchema,
  ConfigDocument: ConfigDocumentSchema,
  PoolResource: PoolResourceSchema,
  LoadBalancerResource: LoadBalancerResourceSchema,
  ConfigResponse: ConfigResponseSchema,
  ConfigReplaceResult: ConfigReplaceResultSchema,
  AuditEntry: AuditEntrySchema,
  EventList: EventListSchema,
  Healthz: HealthzSchema,
  Problem: ProblemSchema,
  FieldError: FieldErrorSchema,
  PoolHealth: PoolHealthSchema,
  PoolHistory: PoolHistorySchema,
  LoadBalancerHistory: LoadBalancerHistorySchema,
  Status: StatusSchema,
  Overview: OverviewSchema,
  Explain: ExplainSchema,
  DrainResult: DrainResultSchema,
  ConfigVersionList: ConfigVersionListSchema,
  RollbackResult: RollbackResultSchema,
  Notification: NotificationSchema,
  NotificationResource: NotificationResourceSchema,
  DeliveryList: DeliveryListSchema,
  NotificationTestResult: NotificationTestResultSchema,
  ImpactRequest: ImpactBodySchema,
  Impact: ImpactSchema,
};

const PROBLEM_RESPONSES: Record<string, string> = {
  BadRequest: "Malformed body or query, or validation failed (see `errors`).",
  Unauthorized: "Missing or wrong bearer token (`WWW-Authenticate: Bearer`).",
  Forbidden: "The read token was used for a change.",
  NotFound: "No resource with that id.",
  Conflict: "The id exists, the hostname and path prefix are taken, or the pool is in use.",
  PreconditionFailed: "`If-Match` names another version; nothing changed.",
  ContentTooLarge: "The body is larger than 1 MiB.",
  UnsupportedMediaType: "The body is not sent as JSON.",
  Unavailable: "ADMIN_TOKEN is not set (the API is closed until it is), or the store is unreachable.",
};

let cached: OpenApiDocument | null = null;

/** The document; built once per isolate (it depends only on the code). */
export function openApiDocument(): OpenApiDocument {
  cached ??= build();
  return cached;
}

function build(): OpenApiDocument {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(COMPONENTS)) registry.add(schema, { id });
  const generated = z.toJSONSchema(registry, {
    io: "input",
    target: "draft-2020-12",
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  });
  const schemas: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(generated.schemas)) {
    const { $schema: _schema, $id: _id, ...rest } = schema as JsonSchema;
    schemas[id] = rest;
  }
  const responses: Record<string, unknown> = {};
  for (const [name, description] of Object.entries(PROBLEM_RESPONSES)) {
    responses[name] = {
      description,
      content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Edge LB management API",
      version: "1",
      description:
        "Manage the pools and load balancers of Edge LB. Send `Authorization: Bearer <token>`: ADMIN_TOKEN may " +
        "read and write, READ_TOKEN may only read. Every resource carries a `version`; GET sends it as the ETag " +
        "and PUT, PATCH and DELETE honour `If-Match`. Errors are RFC 9457 problem JSON.",
    },
    servers: [{ url: "/" }],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: "pools", description: "Groups of origins and how to balance and health-check them." },
      { name: "load balancers", description: "Which hostname and path go to which pools." },
      {
        name: "configuration",
        description: "The whole configuration as one document, its audit log and events.",
      },
      { name: "operations", description: "Live state: health, status, explain, metrics." },
      { name: "notifications", description: "Webhooks for health, failover and configuration events." },
      { name: "meta", description: "This document, its page and the Worker's health." },
    ],
    paths: allPaths(),
    components: {
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          description: "ADMIN_TOKEN (read and write) or READ_TOKEN (read only).",
        },
      },
      schemas,
      responses,
    },
  };
}

function allPaths(): Record<string, Record<string, unknown>> {
  const paths = { ...openApiPaths(), ...opsPaths() };
  const explain = paths["/__lb/api/v1/explain"];
  if (explain) explain.post = EXPLAIN_POST;
  return paths;
}
