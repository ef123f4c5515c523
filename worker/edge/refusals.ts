/**
 * Telling a refused connection from a lost one. The Workers runtime throws the same
 * `Error("Network connection lost.")` (`retryable: true`, `remote: true`) for a connection the origin
 * refused, one it reset after reading the request, and a DNS failure, within the same millisecond on
 * loopback (measured in workerd), so neither the error nor the timing can tell them apart.
 *
 * The rule: after a connection error on a request the policy would not repeat, the proxy opens a TCP
 * connection to the origin's host and port with `connect()` (`cloudflare:sockets`). If that fails, the
 * origin refuses connections right now, and the failed request is taken as refused too: it may be
 * sent to another origin whatever its method. If the connection opens, or does not answer within a
 * second, the request may have reached the origin and is not repeated.
 *
 * `connect()` cannot reach every address `fetch()` can (hosts behind Cloudflare's own proxy fail
 * with the same error as a refusal), so a failure counts only for an endpoint that `connect()` has
 * reached before from this isolate: after an origin's first answer, the isolate opens one connection
 * to it in the background to learn that (and tries an endpoint it could not reach again only every
 * ten minutes). An origin addressed by an IP literal or `localhost` needs no such lesson: `fetch()`
 * reaches those only in local development (production allows hostnames only), where `connect()`
 * reaches every address `fetch()` does.
 *
 * Limits: an origin that read the request and then died (crashed or stopped listening) before the
 * check also refuses the check, so such a request is repeated elsewhere although the dead origin may
 * have acted on part of it; the window is the time between the failure and the check (milliseconds).
 * An origin by hostname that this isolate never reached, or one `connect()` cannot reach, is never
 * taken as refused.
 */
import { connect } from "cloudflare:sockets";
import type { UpstreamTarget } from "../http/upstream-target.ts";

/** How long the check waits for the TCP handshake before calling the answer unknown. */
export const REFUSAL_CHECK_TIMEOUT_MS = 1000;
/** Bound on remembered endpoints, so an isolate's memory stays bounded. */
const MAX_ENDPOINTS = 10_000;

/** An endpoint `connect()` could not reach is tried again after this long at the earliest. */
const RELEARN_AFTER_MS = 10 * 60_000;

/** Endpoints (`host:port`) `connect()` has reached from this isolate. */
const reached = new Set<string>();
/** Endpoints a background check ran (or runs) for and did not reach, with its start time. */
const learning = new Map<string, number>();
/** When each origin (configuration object) is next worth a look. */
const lookedAt = new WeakMap<object, number>();

type ConnectResult = "opened" | "failed" | "timeout";

interface Endpoint {
  readonly hostname: string;
  readonly port: number;
  readonly key: string;
}

/**
 * Whether the origin behind `target` refuses TCP connections right now, as far as this isolate can
 * know (see the module comment).
 * @example if (await refusesConnections(target)) failure = "refused";
 */
export async function refusesConnections(
  target: UpstreamTarget,
  timeoutMs = REFUSAL_CHECK_TIMEOUT_MS,
): Promise<boolean> {
  const endpoint = endpointOf(target);
  if (!endpoint || !(reached.has(endpoint.key) || isLocalAddress(endpoint.hostname))) return false;
  return (await tryConnect(endpoint, timeoutMs)) === "failed";
}

/** An IP literal or `localhost`: an address only local development can fetch (see the module comment). */
function isLocalAddress(hostname: string): boolean {
  return hostname === "localhost" || hostname.startsWith("[") || /^\d{1,3}(?:\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Learns once per isolate whether `connect()` reaches the origin behind `target`; run it in
 * `waitUntil` after the origin answered.
 * @example ctx.waitUntil(learnReachability(target));
 */
export async function learnReachability(target: UpstreamTarget): Promise<void> {
  const endpoint = endpointOf(target);
  if (!endpoint || !due(endpoint.key, Date.now())) return;
  if (learning.size >= MAX_ENDPOINTS) learning.clear();
  learning.set(endpoint.key, Date.now());
  if ((await tryConnect(endpoint, REFUSAL_CHECK_TIMEOUT_MS)) !== "opened") return;
  learning.delete(endpoint.key);
  if (reached.size >= MAX_ENDPOINTS) reached.clear();
  reached.add(endpoint.key);
}

/**
 * Whether `learnReachability` should run for `origin` (its configuration object) now. Cheap enough
 * for every answer: an origin is looked at again only every `RELEARN_AFTER_MS`.
 */
export function needsReachability(origin: object, target: UpstreamTarget, now = Date.now()): boolean {
  const next = lookedAt.get(origin);
  if (next !== undefined && now < next) return false;
  lookedAt.set(origin, now + RELEARN_AFTER_MS);
  const endpoint = endpointOf(target);
  return endpoint !== null && !isLocalAddress(endpoint.hostname) && due(endpoint.key, now);
}

/** Not reached yet, and not tried within `RELEARN_AFTER_MS` (a check that failed is not repeated per request). */
function due(key: string, now: number): boolean {
  if (reached.has(key)) return false;
  const since = learning.get(key);
  return since === undefined || now - since >= RELEARN_AFTER_MS;
}

function endpointOf(target: UpstreamTarget): Endpoint | null {
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    return null;
  }
  const hostname = target.resolveOverride ?? url.hostname;
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  if (!hostname || !Number.isInteger(port) || port <= 0) return null;
  return { hostname, port, key: `${hostname}:${port}` };
}

async function tryConnect(endpoint: Endpoint, timeoutMs: number): Promise<ConnectResult> {
  let socket: ReturnType<typeof connect>;
  try {
    socket = connect({ hostname: endpoint.hostname.replace(/^\[|\]$/g, ""), port: endpoint.port });
  } catch {
    // An address connect() does not accept at all says nothing about the origin.
    return "timeout";
  }
  // The socket's own `closed` rejects too when opening fails; its outcome is read from `opened`.
  socket.closed.catch(() => undefined);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<ConnectResult>((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const opened = socket.opened.then(
    () => "opened" as const,
    () => "failed" as const,
  );
  try {
    return await Promise.race([opened, timeout]);
  } finally {
    clearTimeout(timer);
    socket.close().catch(() => undefined);
  }
}
