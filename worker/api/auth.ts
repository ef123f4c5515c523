/**
 * Bearer-token auth of the management API. `ADMIN_TOKEN` may read and write, `READ_TOKEN` may only
 * read; without `ADMIN_TOKEN` the API is closed (503) rather than open. Tokens are compared as
 * SHA-256 digests with a constant-time comparison, so neither their content nor their length leaks
 * through timing.
 */
import { createMiddleware } from "hono/factory";
import { isLoopbackHost } from "../http/admin-host.ts";
import { ProblemError, problemType } from "../http/problem.ts";
import type { ApiEnv } from "./context.ts";

/** Exactly the challenge the contract names; clients and tests compare it as is. */
const CHALLENGE = "Bearer";

/**
 * Requires a valid token and records what it allows in `c.var.access`.
 * @example api.use("/__lb/api/v1/*", authenticate)
 */
export const authenticate = createMiddleware<ApiEnv>(async (c, next) => {
  const adminToken = c.env.ADMIN_TOKEN;
  if (!adminToken) {
    throw new ProblemError(
      503,
      "The management API is disabled because ADMIN_TOKEN is not set. Set it with `wrangler secret put ADMIN_TOKEN` " +
        "(and optionally READ_TOKEN for read-only access); for local development put ADMIN_TOKEN=<token> in .dev.vars.",
      { type: problemType("admin-token-unset"), title: "Management API not configured" },
    );
  }
  const token = bearerToken(c.req.header("authorization"));
  if (token === null) {
    throw new ProblemError(401, "Send the API token as `Authorization: Bearer <token>`.", {
      headers: { "www-authenticate": CHALLENGE },
    });
  }
  if (await sameToken(token, adminToken)) c.set("access", "write");
  else if (c.env.READ_TOKEN && (await sameToken(token, c.env.READ_TOKEN))) c.set("access", "read");
  else {
    throw new ProblemError(401, "The bearer token is not valid.", {
      headers: { "www-authenticate": CHALLENGE },
    });
  }
  await next();
});

/** Lets only the admin token through; the read token gets 403. */
export const requireWrite = createMiddleware<ApiEnv>(async (c, next) => {
  if (c.get("access") !== "write") {
    throw new ProblemError(403, "This token may only read; changes need the admin token.");
  }
  await next();
});

/** The token of an `Authorization: Bearer <token>` header, or null when there is none. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] ?? null;
}

/** Constant-time equality of two tokens, whatever their lengths. */
export async function sameToken(given: string, expected: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/**
 * Refuses the management side over plain http (403), except on localhost/loopback: a bearer token,
 * or the dashboard that asks for one, must not cross a network in clear text.
 */
export const requireTransportSecurity = createMiddleware(async (c, next) => {
  const url = new URL(c.req.url);
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    throw new ProblemError(
      403,
      `The management side is served over https only (plain http is allowed on localhost); use https://${url.host}${url.pathname}.`,
      { type: problemType("https-required"), title: "HTTPS required" },
    );
  }
  await next();
});
