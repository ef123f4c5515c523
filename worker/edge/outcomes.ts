/**
 * What this isolate has seen of each origin: requests in flight right now and the outcome of each
 * attempt (status, error kind, latency). Plain data in module scope, keyed by pool id and origin
 * name; updated at once on every attempt so the next pick in this isolate already sees it.
 * An attempt ends when the origin's response headers arrive (or it fails): the body that streams
 * after that, and a WebSocket after its handshake, no longer count as in flight. An origin whose
 * requests keep failing here is ejected here at once (`ejectLocally`; the rule is in pool-view.ts).
 */

/** Why an attempt produced no usable response. */
export type AttemptErrorKind =
  /** No response headers within the load balancer's `timeouts.requestMs`. */
  | "timeout"
  /** The connection failed: refused, reset, DNS, TLS; the runtime does not say which. */
  | "connect";

export interface AttemptOutcome {
  /** Response status, or null when there was none. */
  readonly status: number | null;
  readonly error: AttemptErrorKind | null;
  /** Time from sending to response headers (or to the failure), in ms. */
  readonly latencyMs: number;
}

export interface OriginCounters {
  /** Attempts started and not yet ended, in this isolate. */
  inflight: number;
  attempts: number;
  failures: number;
  /** Failures (5xx, connection errors, timeouts) since the last success. */
  consecutiveFailures: number;
  lastStatus: number | null;
  lastError: AttemptErrorKind | null;
  /** Exponentially weighted moving average of successful response times; null before the first. */
  latencyMs: number | null;
  /** End of an ejection this isolate decided on its own; null when there is none. */
  ejectedUntil: number | null;
}

/** A started attempt; hand it back to `endAttempt` exactly once. */
export interface AttemptTicket {
  readonly poolId: string;
  readonly origin: string;
  readonly counters: OriginCounters;
  ended: boolean;
}

/** Weight of the newest sample in the latency average. */
const LATENCY_ALPHA = 0.3;

const byPool = new Map<string, Map<string, OriginCounters>>();
const EMPTY: ReadonlyMap<string, OriginCounters> = new Map();

/**
 * Marks an attempt to `origin` of `poolId` as in flight.
 * @example const ticket = beginAttempt("web", "eu-1"); ... endAttempt(ticket, outcome);
 */
export function beginAttempt(poolId: string, origin: string): AttemptTicket {
  const counters = countersFor(poolId, origin);
  counters.inflight++;
  counters.attempts++;
  return { poolId, origin, counters, ended: false };
}

/**
 * Ends an attempt and records how it went; a second call for the same ticket does nothing and
 * returns false.
 */
export function endAttempt(ticket: AttemptTicket, outcome: AttemptOutcome): boolean {
  if (ticket.ended) return false;
  ticket.ended = true;
  const counters = ticket.counters;
  counters.inflight = Math.max(0, counters.inflight - 1);
  counters.lastStatus = outcome.status;
  counters.lastError = outcome.error;
  if (isFailure(outcome)) {
    counters.failures++;
    counters.consecutiveFailures++;
    return true;
  }
  counters.consecutiveFailures = 0;
  counters.latencyMs =
    counters.latencyMs === null
      ? outcome.latencyMs
      : counters.latencyMs + LATENCY_ALPHA * (outcome.latencyMs - counters.latencyMs);
  return true;
}

/** This isolate's counters for one origin, or undefined before its first attempt. */
export function originCounters(poolId: string, origin: string): Readonly<OriginCounters> | undefined {
  return byPool.get(poolId)?.get(origin);
}

/** The counters of every origin of `poolId` this isolate has attempted. */
export function poolCounters(poolId: string): ReadonlyMap<string, Readonly<OriginCounters>> {
  return byPool.get(poolId) ?? EMPTY;
}

/**
 * Takes an origin out of this isolate's rotation until `until` and restarts its failure streak, so
 * it needs a fresh run of failures to be ejected again after it returns.
 */
export function ejectLocally(poolId: string, origin: string, until: number): void {
  const counters = countersFor(poolId, origin);
  counters.ejectedUntil = until;
  counters.consecutiveFailures = 0;
}

/** Loop Detected: the request went round in circles (an origin pointing back at the load balancer). */
const LOOP_DETECTED = 508;

/**
 * A failure for passive health: a connection error, a timeout or a 5xx status. Not a 508: it says
 * the request loops (the load balancer's own answer when an origin points back at it), not that the
 * origin is unwell; counting it would eject that origin and turn every later 508 into a 503 that
 * hides the misconfiguration.
 */
export function isFailure(outcome: AttemptOutcome): boolean {
  if (outcome.error !== null) return true;
  return outcome.status !== null && outcome.status >= 500 && outcome.status !== LOOP_DETECTED;
}

function countersFor(poolId: string, origin: string): OriginCounters {
  let origins = byPool.get(poolId);
  if (!origins) {
    origins = new Map();
    byPool.set(poolId, origins);
  }
  let counters = origins.get(origin);
  if (!counters) {
    counters = {
      inflight: 0,
      attempts: 0,
      failures: 0,
      consecutiveFailures: 0,
      lastStatus: null,
      lastError: null,
      latencyMs: null,
      ejectedUntil: null,
    };
    origins.set(origin, counters);
  }
  return counters;
}
