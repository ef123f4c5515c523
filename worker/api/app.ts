/**
 * The management side of the Worker: every request under `/__lb` lands here (worker/index.ts
 * dispatches). The API under `/__lb/api/v1` needs a bearer token; `/__lb/healthz`,
 * `/__lb/openapi.json` and `/__lb/docs` do not. Everything but `/__lb/healthz` is refused over plain
 * http except on localhost/loopback, where a token would travel in clear text. Every error is problem JSON: an unknown path is 404,
 * a known path with the wrong method 405 with `Allow`, and anything unexpected 500 (logged).
 */
import { Hono } from "hono";
import { serveDashboard } from "../dashboard/index.ts";
import { ProblemError, problem, problemResponse } from "../http/problem.ts";
import { allowedMethods } from "./allowed-methods.ts";
import { authenticate, requireTransportSecurity } from "./auth.ts";
import { configRoutes } from "./config-routes.ts";
import type { ApiEnv } from "./context.ts";
import { explainRoutes } from "./explain/routes.ts";
import { healthz } from "./healthz.ts";
import { historyRoutes } from "./history-routes.ts";
import { metricsRoutes } from "./metrics-route.ts";
import { notificationRoutes } from "./notification-routes.ts";
import { docsPage } from "./openapi/docs-page.ts";
import { openApiDocument } from "./openapi/document.ts";
import { poolOpsRoutes } from "./pool-ops-routes.ts";
import { resourceRoutes } from "./resource-routes.ts";

/**
 * Handles the full paths `/__lb/...` (API, healthz, OpenAPI document, docs page, metrics, dashboard).
 * Routes are written relative to where they are mounted: `basePath("/__lb")` here and
 * `route("/api/v1", api)` for the API, so no path repeats the prefixes.
 */
export const adminApp = new Hono<ApiEnv>().basePath("/__lb");

adminApp.onError((error) => {
  if (error instanceof ProblemError) return problemResponse(error.problem, error.headers);
  console.log(JSON.stringify({ event: "admin_error", error: String(error), stack: (error as Error).stack }));
  return problem(500, "The request failed unexpectedly; the error was logged.");
});

adminApp.notFound((c) => {
  const path = new URL(c.req.url).pathname;
  const allow = allowedMethods(adminApp.routes, path);
  if (allow.length === 0) return problem(404, `There is nothing at ${path}.`);
  if (c.req.method === "OPTIONS") return c.body(null, 204, { allow: allow.join(", ") });
  return problem(405, `${c.req.method} is not allowed on ${path}; use ${allow.join(", ")}.`, {
    headers: { allow: allow.join(", ") },
  });
});

adminApp.get("/healthz", healthz);
adminApp.use("*", requireTransportSecurity);
// The dashboard answers both `/__lb` ("/") and `/__lb/` (""; under a base path Hono keeps the slash).
adminApp.get("/", serveDashboard);
adminApp.get("", serveDashboard);
adminApp.get("/openapi.json", (c) => c.json(openApiDocument()));
adminApp.get("/docs", (c) => c.html(docsPage(openApiDocument())));
adminApp.route("/", metricsRoutes);

/** The management API; every route needs a token. */
const api = new Hono<ApiEnv>();
api.use("*", authenticate);
api.use("*", async (c, next) => {
  await next();
  if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
});
api.route("/", resourceRoutes("pool"));
api.route("/", resourceRoutes("load_balancer"));
api.route("/", configRoutes);
api.route("/", historyRoutes);
api.route("/", notificationRoutes);
api.route("/", explainRoutes);
api.route("/", poolOpsRoutes);
adminApp.route("/api/v1", api);
