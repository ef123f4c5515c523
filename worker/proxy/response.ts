/**
 * Phase `responseFilter` of the proxy: the response the client gets for an origin's response: the
 * same status and streamed body, with hop-by-hop headers removed, `X-Request-Id` set, when the load
 * balancer asks for them the debug headers, and the session-affinity cookie when one is due.
 * WebSocket handshakes pass on the origin's socket.
 */
import { ProblemError, problemType } from "../http/problem.ts";
import type { Answered } from "./forward.ts";
import { downstreamResponseHeaders, stripHopByHop } from "./headers.ts";
import type { UpstreamPlan } from "./plan.ts";
import { affinityCookie } from "./session.ts";

export interface DebugInfo {
  readonly pool: string;
  readonly origin: string;
  /** Time spent in the load balancer (routing, failed attempts), in ms. */
  readonly lbMs: number;
  /** Time from sending to the response headers of the origin that answered, in ms. */
  readonly originMs: number;
}

/**
 * The client's response for the origin's response that `forward` returned.
 * @example const response = responseFilter(plan, result);
 */
export function responseFilter(plan: UpstreamPlan, result: Answered): Response {
  const debug = plan.loadBalancer.debugHeaders
    ? {
        pool: result.pool.id,
        origin: result.origin.name,
        lbMs: Math.max(0, Date.now() - plan.started - result.originMs),
        originMs: result.originMs,
      }
    : null;
  return clientResponse(result.response, plan.requestId, debug, result.own);
}

/**
 * Adds the session-affinity cookie to the client's `response` when one is due (affinity by cookie:
 * session.ts says when).
 * @example if (plan.affinity) await addAffinityCookie(plan, result, response, url.protocol === "https:");
 */
export async function addAffinityCookie(
  plan: UpstreamPlan,
  result: Answered,
  response: Response,
  secure: boolean,
): Promise<void> {
  const { session, affinity } = plan;
  if (!session || !affinity) return;
  const cookie = await affinityCookie(
    session,
    affinity,
    result.pool,
    result.origin.name,
    result.response.status,
    {
      now: Date.now(),
      secure,
    },
  );
  if (cookie) response.headers.append("set-cookie", cookie);
}

/**
 * Builds the client's response from the origin's. With `own`, `upstream` is already the load
 * balancer's copy (hold.ts made it to carry the held body) and is edited in place, not copied again.
 * @example clientResponse(upstream, requestId, lb.debugHeaders ? { pool, origin, lbMs, originMs } : null)
 */
export function clientResponse(
  upstream: Response,
  requestId: string,
  debug: DebugInfo | null,
  own = false,
): Response {
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
  const response = own ? upstream : new Response(upstream.body, upstream);
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
