/**
 * The operator dashboard at `/__lb/`. The page itself carries no data and needs no token; the
 * browser signs in and reads everything from the management API with `Authorization: Bearer`.
 */
import type { Context } from "hono";
import { dashboardHtml } from "./page.ts";

/**
 * Hono handler that serves the dashboard page, e.g. `app.get("/__lb/", serveDashboard)`.
 * A fresh nonce per response lets the inline style and script run under a strict CSP.
 */
export function serveDashboard(c: Context): Response {
  const nonce = crypto.randomUUID().replaceAll("-", "");
  const policy = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  const body = c.req.method === "HEAD" ? null : dashboardHtml(nonce);
  return new Response(body, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": policy,
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
    },
  });
}
