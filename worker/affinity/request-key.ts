/**
 * The key a request is hashed on: for a pool's `hashOn` (algorithm "hash") and for session affinity
 * of type "header" or "ip". Pure: no runtime imports.
 *
 * Sources: `ip` (the client address), `path` (the URL path, without the query), `header:<name>`,
 * `cookie:<name>` and `query:<name>` (the first value). A request without the named header, cookie or
 * query parameter, or with an empty one, falls back to its client address, so it still sticks per
 * client; a request without a client address falls back to the empty string, so all such requests
 * share one origin (deterministic, and rare: the Workers runtime always provides the address).
 */

import type { SessionAffinity } from "../config/schema.ts";

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The parts of a request that keys come from. */
export interface KeySource {
  readonly url: URL;
  readonly headers: Headers;
  /** Client address (`CF-Connecting-IP`), null when unknown. */
  readonly clientIp: string | null;
}

/** A parsed `hashOn` value. */
export type KeySpec =
  | { readonly kind: "ip" }
  | { readonly kind: "path" }
  | { readonly kind: "header" | "cookie" | "query"; readonly name: string };

/** Where a key came from: the named source, or the fallback to the client address or "". */
export const KEY_ORIGINS = ["source", "client_ip", "none"] as const;
export type KeyOrigin = (typeof KEY_ORIGINS)[number];

/**
 * Parses a `hashOn` value (already validated by the schema). Anything unrecognised reads as `ip`, the
 * default, rather than failing a request.
 * @example parseKeySpec("cookie:session") // { kind: "cookie", name: "session" }
 */
export function parseKeySpec(hashOn: string): KeySpec {
  if (hashOn === "path") return { kind: "path" };
  const colon = hashOn.indexOf(":");
  if (colon <= 0) return { kind: "ip" };
  const kind = hashOn.slice(0, colon);
  const name = hashOn.slice(colon + 1);
  // Header names must be tokens or `Headers#get` throws; the schema holds all three kinds to that.
  if ((kind === "header" || kind === "cookie" || kind === "query") && TOKEN.test(name)) return { kind, name };
  return { kind: "ip" };
}

/** Parsed specs per pool or affinity setting (configuration objects, the same for a config version). */
const specs = new WeakMap<object, KeySpec | null>();

/**
 * `parseKeySpec(pool.hashOn)`, parsed once per pool version.
 * @example requestKey(hashKeySpec(pool), source).key
 */
export function hashKeySpec(pool: { readonly hashOn: string }): KeySpec {
  let spec = specs.get(pool);
  if (!spec) {
    spec = parseKeySpec(pool.hashOn);
    specs.set(pool, spec);
  }
  return spec;
}

/**
 * The request's key for `spec`, with the documented fallbacks.
 * @example requestKey(parseKeySpec("query:user"), { url, headers, clientIp }).key
 */
export function requestKey(spec: KeySpec, source: KeySource): { key: string; from: KeyOrigin } {
  let value: string | null;
  switch (spec.kind) {
    case "ip":
      value = source.clientIp;
      break;
    case "path":
      return { key: source.url.pathname, from: "source" };
    case "header":
      value = source.headers.get(spec.name);
      break;
    case "cookie":
      value = readCookie(source.headers.get("cookie"), spec.name);
      break;
    case "query":
      value = source.url.searchParams.get(spec.name);
      break;
  }
  if (value) return { key: value, from: "source" };
  if (source.clientIp) return { key: source.clientIp, from: "client_ip" };
  return { key: "", from: "none" };
}

/**
 * The value of cookie `name` in a `Cookie` header (the first one when repeated), as sent: no
 * percent-decoding, surrounding double quotes kept. Null when absent.
 * @example readCookie("a=1; __lb=xyz", "__lb") // "xyz"
 */
export function readCookie(header: string | null, name: string): string | null {
  if (!header) return null;
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(";", start);
    if (end === -1) end = header.length;
    const eq = header.indexOf("=", start);
    if (eq !== -1 && eq < end && header.slice(start, eq).trim() === name) {
      return header.slice(eq + 1, end).trim();
    }
    start = end + 1;
  }
  return null;
}

/**
 * The key spec of header or ip session affinity; null for the other types (none, cookie).
 * @example affinityKeySpec({ type: "header", headerName: "x-user" }) // { kind: "header", name: "x-user" }
 */
export function affinityKeySpec(affinity: Pick<SessionAffinity, "type" | "headerName">): KeySpec | null {
  let spec = specs.get(affinity);
  if (spec === undefined) {
    spec = keySpecOfAffinity(affinity);
    specs.set(affinity, spec);
  }
  return spec;
}

function keySpecOfAffinity(affinity: Pick<SessionAffinity, "type" | "headerName">): KeySpec | null {
  if (affinity.type === "ip") return { kind: "ip" };
  if (affinity.type === "header" && affinity.headerName) return parseKeySpec(`header:${affinity.headerName}`);
  return null;
}
