/**
 * The response the client gets for an origin's response: the same status and streamed body, with
 * hop-by-hop headers removed, `X-Request-Id` set and, when the load balancer asks for them, the
 * debug headers. WebSocket handshakes pass on the origin's socket.
 */
import { ProblemError, problemType } from "../http/problem.ts";
import { downstreamResponseHeaders, stripHopByHop } from "./headers.ts";

export interface DebugInfo {
  readonly pool: string;
  readonly origin: string;
  /** Time spent in the load balancer (routing, failed attempts), in ms. */
  readonly lbMs: number;
  /** Time from sending to the response headers of the origin that answered, in ms. */
  readonly originMs: number;
}

/**
 * Builds the client's response from the origin's.
 * @example clientResponse(upstream, requestId, lb.debugHeaders ? { pool, origin, lbMs, originMs } : null)
 */
export function clientResponse(upstream: Response, requestId: string, debug: DebugInfo | null): Response {
  const status = upstream.status;
  if (status === 101 && upstream.webSocket !== null) {
    const headers = downstreamResponseHeaders(upstream.headers, requestId, true);
    if (debug) addDebugHeaders(headers, debug);
    return new Response(null, { status: 101, headers, webSocket: upstream.webSocket });
  }
  if (status < 200 || status > 599) {
    void upstream.body?.cancel();
    throw new ProblemError(502, `The origin answered with status ${status}, which cannot be passed on.`, {
      type: problemType("origin-invalid-response"),
      headers: { "x-request-id": requestId },
    });
  }
  // The origin's response as init: status, status text and a copy of its headers (the runtime's own
  // are immutable), made once and then edited in place.
  const response = new Response(upstream.body, upstream);
  const headers = response.headers;
  stripHopByHop(headers);
  headers.set("x-request-id", requestId);
  if (debug) addDebugHeaders(headers, debug);
  return response;
}

function addDebugHeaders(headers: Headers, debug: DebugInfo): void {
  headers.set("x-lb-pool", debug.pool);
  headers.set("x-lb-origin", debug.origin);
  headers.append("server-timing", `lb;dur=${debug.lbMs}, origin;dur=${debug.originMs}`);
}
