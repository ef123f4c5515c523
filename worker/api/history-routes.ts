/**
 * Configuration history and rollback: `GET /config/versions`, `GET /config/versions/{version}` and
 * `POST /config/rollback` (API.md, "Configuration history"). The ConfigStore keeps the documents;
 * a rollback is a `PUT /config` of an earlier document, with the same validation and transaction.
 */
import { Hono } from "hono";
import { etag, parseIfMatch } from "../http/preconditions.ts";
import { ProblemError, problemType } from "../http/problem.ts";
import { requireWrite } from "./auth.ts";
import { JSON_TYPES, readJsonObject } from "./body.ts";
import { booleanQuery, MAX_LIMIT } from "./config-routes.ts";
import { type ApiEnv, writerRole } from "./context.ts";
import { documentFor } from "./redact.ts";
import { configStore, installSnapshot, unwrap } from "./store.ts";

/** `GET /config/versions` lists this many when `limit` is absent. */
export const VERSIONS_DEFAULT_LIMIT = 50;

export const historyRoutes = new Hono<ApiEnv>();

historyRoutes.get("/config/versions", async (c) => {
  const limit = integerQuery(c.req.query("limit"), "limit", 1, MAX_LIMIT) ?? VERSIONS_DEFAULT_LIMIT;
  return c.json({ items: await configStore(c.env).versions(limit) });
});

historyRoutes.get("/config/versions/:version", async (c) => {
  const version = versionNumber(c.req.param("version"));
  const document = await configStore(c.env).versionDocument(version);
  if (document === null) {
    throw new ProblemError(
      404,
      `No configuration version ${version} is kept; GET /config/versions lists them.`,
    );
  }
  c.header("etag", etag(version));
  if (c.var.access === "write") return c.body(document, 200, { "content-type": "application/json" });
  return c.json(documentFor(c.var.access, JSON.parse(document) as Record<string, unknown>));
});

historyRoutes.post("/config/rollback", requireWrite, async (c) => {
  for (const name of new URL(c.req.url).searchParams.keys()) {
    if (name !== "dryRun") throw invalid(name, 'is unknown here; POST /config/rollback takes only "dryRun"');
  }
  const dryRun = booleanQuery(c.req.query("dryRun"), "dryRun");
  const body = await readJsonObject(c.req.raw, JSON_TYPES);
  for (const key of Object.keys(body)) if (key !== "version") throw invalid(key, "unknown field");
  const target = body.version;
  if (typeof target !== "number" || !Number.isSafeInteger(target) || target < 1) {
    throw invalid("version", "must be a configuration version (an integer of at least 1)");
  }
  const ifMatch = parseIfMatch(c.req.header("if-match"));
  const result = unwrap(await configStore(c.env).rollback(target, ifMatch, dryRun, writerRole(c.var.access)));
  await installSnapshot(c.env, result.snapshot);
  if (!dryRun) c.header("etag", etag(result.version));
  return c.json({
    version: result.version,
    dryRun,
    rolledBackTo: result.rolledBackTo,
    changes: result.changes,
  });
});

function versionNumber(text: string | undefined): number {
  if (!/^\d{1,15}$/.test(text ?? "")) {
    throw new ProblemError(404, `There is no configuration version "${text}"; versions are integers.`);
  }
  return Number(text);
}

function integerQuery(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,7}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw invalid(name, `must be an integer from ${min} to ${max}`);
  }
  return Number(value);
}

function invalid(path: string, message: string): ProblemError {
  return new ProblemError(400, `${path} ${message}.`, {
    type: problemType("validation"),
    title: "Validation failed",
    errors: [{ path, message }],
  });
}
