/**
 * Header rewriting between client, load balancer and origin. Pure (WHATWG Headers only).
 */

import { HOP_BY_HOP_HEADERS, HOPS_HEADER } from "../http/headers.ts";

/** Up to 200 visible ASCII characters: anything else is replaced by a generated id. */
const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

export interface ForwardingInfo {
  /** The client's address (`CF-Connecting-IP`), or null when unknown. */
  readonly clientIp: string | null;
  /** Scheme the client used, without colon: "http" or "https". */
  readonly proto: string;
  /** The Host the client asked for, port included. */
  readonly host: string;
  readonly requestId: string;
  /** Hops counted on arrival (see `readHops`). */
  readonly hops: number;
  /** Whether this is a WebSocket upgrade, whose `Upgrade` header must reach the origin. */
  readonly webSocket: boolean;
}

/**
 * Removes hop-by-hop headers in place: `Connection` and every header it names, `Keep-Alive`,
 * `Proxy-Connection`, `TE`, `Trailer`, `Transfer-Encoding` and `Upgrade` (kept when `keepUpgrade`).
 * @example stripHopByHop(headers, isWebSocketUpgrade(headers));
 */
export function stripHopByHop(headers: Headers, keepUpgrade = false): void {
  const connection = headers.get("connection");
  if (connection) {
    for (const token of connection.split(",")) {
      const name = token.trim().toLowerCase();
      if (!name || (keepUpgrade && name === "upgrade")) continue;
      try {
        headers.delete(name);
      } catch {
        // A token that is not a valid header name names no header.
      }
    }
  }
  for (const name of HOP_BY_HOP_HEADERS) {
    if (keepUpgrade && name === "upgrade") continue;
    headers.delete(name);
  }
}

/** Whether the request asks to upgrade to WebSocket. */
export function isWebSocketUpgrade(headers: Headers): boolean {
  return headers.get("upgrade")?.trim().toLowerCase() === "websocket";
}

/** How many times the request already passed through this load balancer; malformed counts as 0. */
export function readHops(headers: Headers): number {
  const value = headers.get(HOPS_HEADER);
  if (!value || !/^\d{1,6}$/.test(value.trim())) return 0;
  return Number(value.trim());
}

/**
 * The request id to use: the client's `X-Request-Id` when it is sane, else `generate()`.
 * @example requestIdOf(request.headers, () => crypto.randomUUID())
 */
export function requestIdOf(headers: Headers, generate: () => string): string {
  const given = headers.get("x-request-id");
  return given && REQUEST_ID.test(given) ? given : generate();
}

/**
 * The headers to send upstream: the client's, minus hop-by-hop ones, plus `X-Forwarded-For`
 * (the client address appended), `X-Forwarded-Proto`, `X-Forwarded-Host`, `X-Request-Id`, the hop
 * count and the origin's configured `headers` (which win over the client's).
 * @example upstreamRequestHeaders(request.headers, info, origin.headers)
 */
export function upstreamRequestHeaders(
  incoming: Headers,
  info: ForwardingInfo,
  originHeaders: Readonly<Record<string, string>> = {},
): Headers {
  const headers = new Headers(incoming);
  stripHopByHop(headers, info.webSocket);
  headers.delete("host");
  if (info.clientIp) {
    const prior = headers.get("x-forwarded-for");
    headers.set("x-forwarded-for", prior ? `${prior}, ${info.clientIp}` : info.clientIp);
  }
  headers.set("x-forwarded-proto", info.proto);
  headers.set("x-forwarded-host", info.host);
  headers.set("x-request-id", info.requestId);
  headers.set(HOPS_HEADER, String(info.hops + 1));
  for (const name in originHeaders) headers.set(name, originHeaders[name] as string);
  return headers;
}

/**
 * The headers of an attempt to an origin: `base` (from `upstreamRequestHeaders`) itself when the
 * origin has no configured `headers`, else a copy with them set (they win over the client's).
 * @example withOriginHeaders(base, origin.headers)
 */
export function withOriginHeaders(base: Headers, originHeaders: Readonly<Record<string, string>>): Headers {
  let headers: Headers | null = null;
  for (const name in originHeaders) {
    headers ??= new Headers(base);
    headers.set(name, originHeaders[name] as string);
  }
  return headers ?? base;
}

/**
 * The headers to send back to the client: the origin's, minus hop-by-hop ones (the `Upgrade` of a
 * WebSocket handshake stays), plus `X-Request-Id`.
 * @example downstreamResponseHeaders(response.headers, requestId, response.status === 101)
 */
export function downstreamResponseHeaders(upstream: Headers, requestId: string, webSocket = false): Headers {
  const headers = new Headers(upstream);
  stripHopByHop(headers, webSocket);
  headers.set("x-request-id", requestId);
  return headers;
}
