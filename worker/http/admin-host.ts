/**
 * Where the management side answers. Every `/__lb` path belongs to it: on the admin hostname (any
 * hostname when `ADMIN_HOSTNAME` is unset) it is served, on any other hostname it is closed (404),
 * never proxied, so a token sent to the wrong host never reaches an origin. Pure.
 */
import { normalizeHostname } from "./hostname.ts";
import { normalizePath } from "./path.ts";

/**
 * Whether `path` is `/__lb` or below it, compared normalised as routing compares paths (path.ts):
 * `/%5F%5Flb/api` names `/__lb/api`, so it is the management side's too and never reaches an origin.
 */
export function isAdminPath(path: string): boolean {
  const normal = normalizePath(path);
  return normal === "/__lb" || normal.startsWith("/__lb/");
}

/**
 * What happens to a request for `url`: `serve` (the management side answers), `closed` (a `/__lb`
 * path on a hostname other than `ADMIN_HOSTNAME`: 404) or `proxy`.
 * @example adminDisposition(new URL("https://www.example.com/__lb/api/v1/pools"), "lb-admin.example.com") === "closed"
 */
export function adminDisposition(url: URL, adminHostname: string | undefined): "serve" | "closed" | "proxy" {
  if (!isAdminPath(url.pathname)) return "proxy";
  if (!adminHostname || sameHostname(url.hostname, adminHostname)) return "serve";
  return "closed";
}

/**
 * Whether a hostname is this machine: `localhost` (and names below it), 127.0.0.0/8 or `[::1]`.
 * Plain http carries tokens in clear text everywhere else.
 * @example isLoopbackHost("127.0.0.1") === true
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = normalizeHostname(hostname);
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (host === "[::1]" || host === "::1") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function sameHostname(a: string, b: string): boolean {
  return normalizeHostname(a) === normalizeHostname(b);
}
