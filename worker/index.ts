/**
 * The Worker's entry: `/__lb` and everything below it go to the management side, every other
 * request is load balanced. With `ADMIN_HOSTNAME` set, the management side answers only on that
 * hostname and `/__lb/...` on any other hostname is proxied like any path.
 */
import { Hono } from "hono";
import { adminApp } from "./api/app.ts";
import { ProblemError, problem, problemResponse } from "./api/problem.ts";
import type { Env } from "./env.ts";
import { proxyRequest } from "./proxy/handler.ts";
import { normalizeHostname } from "./routing/hostname.ts";

export { ConfigStore } from "../durable-objects/config-store.ts";
export { PoolState } from "../durable-objects/pool-state.ts";

const app = new Hono<{ Bindings: Env }>();

app.all("*", (c) => {
  const url = new URL(c.req.url);
  if (isAdminPath(url.pathname) && servesAdmin(url.hostname, c.env.ADMIN_HOSTNAME)) {
    return adminApp.fetch(c.req.raw, c.env, c.executionCtx);
  }
  return proxyRequest(c.req.raw, c.env, c.executionCtx, url);
});

app.onError((error, c) => {
  if (error instanceof ProblemError) return problemResponse(error.problem, error.headers);
  console.log(
    JSON.stringify({
      event: "unhandled_error",
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      error: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    }),
  );
  return problem(500, "An unexpected error occurred; it has been logged.");
});

function isAdminPath(path: string): boolean {
  return path === "/__lb" || path.startsWith("/__lb/");
}

function servesAdmin(hostname: string, adminHostname: string | undefined): boolean {
  return !adminHostname || normalizeHostname(hostname) === normalizeHostname(adminHostname);
}

export default app;
