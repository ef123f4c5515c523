/**
 * Phase `hold`: an answered attempt stays in flight until its response is over, so that
 * `least_connections`, `maxConnections`, draining and the PoolState's in-flight sums see long
 * downloads, event streams and open WebSockets.
 *
 * - A body is piped through a native identity stream (`FixedLengthStream` when the length is known,
 *   so the client still gets a Content-Length); the attempt is released when the pipe ends: the body
 *   is complete, the origin broke it off, or the client went away (its side is cancelled). An encoded
 *   body (Content-Encoding gzip, br, ...) is not piped, so its bytes reach the client as the origin
 *   sent them: it counts as in flight until its response headers only.
 * - A WebSocket is relayed through a pair this Worker holds, message by message; the attempt is
 *   released when either side closes or fails. Messages count as activity.
 * - A short answer in a pool whose in-flight figures nothing reads (its algorithm, steering,
 *   `maxConnections` or a draining origin: edge/pool-state-cache.ts `usesInflight`) is not held: a
 *   body whose declared length is at most `SHORT_BODY_BYTES` counts until its headers only. The origin
 *   has written all of it by then (it fits the connection's buffers), so the pool loses nothing it
 *   uses, and the request costs no pipe (bench/RESULTS.md, section 7: about a sixth of the load
 *   balancer's CPU per request). Pools that read the figures hold every body.
 * - While held, the isolate keeps reporting (`beat`, every `HOLD_HEARTBEAT_MS`), so that the PoolState
 *   keeps counting it. A ticket that is never released expires (edge/outcomes.ts).
 */
import { type AttemptTicket, holdAttempt, releaseAttempt, touchAttempt } from "../edge/outcomes.ts";
import { poolUsesInflight } from "../edge/reports.ts";
import type { AttemptTimer } from "./attempt.ts";

/** While a response is held, this isolate's reports go out at least this often. */
const HOLD_HEARTBEAT_MS = 1000;
/**
 * The longest declared body that is not held in a pool whose in-flight figures nothing reads: 16 KiB,
 * the smallest send buffer Linux gives a TCP connection (net.ipv4.tcp_wmem), so an origin has handed
 * such a body to its kernel by the time its headers arrive.
 */
export const SHORT_BODY_BYTES = 16 * 1024;
const DECIMAL = /^\d{1,15}$/;

export interface HoldContext {
  readonly waitUntil: (promise: Promise<unknown>) => void;
  /** Sends this isolate's reports that are due. */
  readonly beat: () => void;
  /**
   * The request's attempt timer (attempt.ts), still running after the headers: a held body beats
   * on it instead of setting a timer of its own and stops it at its end; when nothing is held (or a
   * WebSocket, which keeps its own), it is stopped at once.
   */
  readonly timer?: AttemptTimer | undefined;
}

/**
 * The response to hand on, counting `ticket` as in flight until it is over: `response` itself when
 * nothing is held, else a new response (status and a copy of the headers, which the caller may edit).
 * @example return { kind: "response", response: heldResponse(result.response, ticket, hold) };
 */
export function heldResponse(response: Response, ticket: AttemptTicket, hold: HoldContext): Response {
  if (response.status === 101 && response.webSocket !== null) {
    hold.timer?.stop();
    return heldWebSocket(response, ticket, hold);
  }
  const body = response.body;
  // An encoded body (gzip, br) is handed on untouched: piping it would make the runtime decode and
  // encode it again, changing its bytes and dropping its Content-Length. It counts until its headers.
  const headers = response.headers;
  const declared = declaredLength(headers);
  if (
    body === null ||
    !identityEncoded(headers) ||
    (declared !== null && declared <= SHORT_BODY_BYTES && !poolUsesInflight(ticket.poolId))
  ) {
    hold.timer?.stop();
    releaseAttempt(ticket);
    return response;
  }
  holdAttempt(ticket, Date.now());
  const stream = declared === null ? new IdentityTransformStream() : new FixedLengthStream(declared);
  const timer = hold.timer;
  let heartbeat: { handle: ReturnType<typeof setTimeout> | undefined } | null = null;
  if (timer) timer.hold(ticket);
  else heartbeat = startHeartbeat(ticket, hold);
  const end = (): void => {
    if (timer) timer.stop();
    else if (heartbeat) clearTimeout(heartbeat.handle);
    releaseAttempt(ticket);
  };
  hold.waitUntil(body.pipeTo(stream.writable).then(end, end));
  return new Response(stream.readable, response);
}

/** The body's length as the origin declared it (`Content-Length`), or null. */
function declaredLength(headers: Headers): number | null {
  const declared = headers.get("content-length");
  if (declared === null) return null;
  const digits = declared.trim();
  return DECIMAL.test(digits) ? Number(digits) : null;
}

function identityEncoded(headers: Headers): boolean {
  const encoding = headers.get("content-encoding");
  return encoding === null || encoding.trim() === "" || encoding.trim().toLowerCase() === "identity";
}

function heldWebSocket(response: Response, ticket: AttemptTicket, hold: HoldContext): Response {
  const upstream = response.webSocket as WebSocket;
  const pair = new WebSocketPair();
  const client = pair[0];
  const relay = pair[1];
  // Binary messages as ArrayBuffer, so they are relayed as binary (a Blob cannot be sent on).
  upstream.binaryType = "arraybuffer";
  relay.binaryType = "arraybuffer";
  upstream.accept();
  relay.accept();
  holdAttempt(ticket, Date.now());
  const heartbeat = startHeartbeat(ticket, hold);
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    clearTimeout(heartbeat.handle);
    releaseAttempt(ticket);
  };
  wire(upstream, relay, ticket, finish);
  wire(relay, upstream, ticket, finish);
  return new Response(null, { status: 101, headers: response.headers, webSocket: client });
}

/** Relays `from`'s messages and its close to `to`. */
function wire(from: WebSocket, to: WebSocket, ticket: AttemptTicket, finish: () => void): void {
  from.addEventListener("message", (event) => {
    touchAttempt(ticket, Date.now());
    try {
      to.send(event.data);
    } catch {
      // The other side is closing; its own close event finishes the relay.
    }
  });
  from.addEventListener("close", (event) => {
    closeQuietly(to, event.code, event.reason);
    finish();
  });
  from.addEventListener("error", () => {
    closeQuietly(to, 1011, "peer failed");
    finish();
  });
}

/** Closes a socket with the peer's code when it may be sent (1005 and 1006 may not), else 1000. */
function closeQuietly(socket: WebSocket, code: number, reason: string): void {
  const sendable =
    code === 1000 || (code >= 1001 && code <= 1014 && code !== 1005 && code !== 1006) || code >= 3000;
  try {
    socket.close(sendable ? code : 1000, sendable ? reason : "");
  } catch {
    // Already closed.
  }
}

/** Reports keep going out while the response is held (the PoolState forgets a silent isolate). */
function startHeartbeat(
  ticket: AttemptTicket,
  hold: HoldContext,
): { handle: ReturnType<typeof setTimeout> | undefined } {
  const timer: { handle: ReturnType<typeof setTimeout> | undefined } = { handle: undefined };
  const tick = (): void => {
    if (ticket.released) return;
    hold.beat();
    timer.handle = setTimeout(tick, HOLD_HEARTBEAT_MS);
  };
  timer.handle = setTimeout(tick, HOLD_HEARTBEAT_MS);
  return timer;
}
