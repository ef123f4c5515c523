/**
 * The building blocks of the OpenAPI paths (paths.ts, ops-paths.ts): schema references, JSON
 * bodies, problem responses by name, and the parameters and headers several paths share.
 */
import { SLUG_PATTERN } from "../../config/fields.ts";

const STATUS: Record<string, string> = {
  BadRequest: "400",
  Unauthorized: "401",
  Forbidden: "403",
  NotFound: "404",
  Conflict: "409",
  PreconditionFailed: "412",
  ContentTooLarge: "413",
  UnsupportedMediaType: "415",
  Unavailable: "503",
};

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: unknown, type = "application/json") => ({ [type]: { schema } });
export const ok = (description: string, schema: unknown, headers?: Record<string, unknown>) => ({
  description,
  content: json(schema),
  ...(headers ? { headers } : {}),
});
export const problems = (...names: string[]) =>
  Object.fromEntries(names.map((name) => [STATUS[name], { $ref: `#/components/responses/${name}` }]));

export const READ_ERRORS = ["Unauthorized", "Unavailable"];
export const WRITE_ERRORS = [
  "BadRequest",
  "Unauthorized",
  "Forbidden",
  "ContentTooLarge",
  "UnsupportedMediaType",
  "Unavailable",
];
export const ETAG = { ETag: { description: 'The version, e.g. "7".', schema: { type: "string" } } };

export const idParam = (what: string) => ({
  name: "id",
  in: "path",
  required: true,
  description: `The ${what} id (a slug).`,
  schema: { type: "string", pattern: SLUG_PATTERN.source },
});
export const IF_MATCH = {
  name: "If-Match",
  in: "header",
  required: false,
  description:
    'Only change if the current version matches: "7", W/"7" or *. A stale one gets 412 and changes nothing.',
  schema: { type: "string" },
};
