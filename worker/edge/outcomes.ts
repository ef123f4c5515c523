/**
 * What this isolate has seen of each origin: requests in flight right now and the outcome of each
 * attempt (status, error kind, latency). Plain data in module scope, keyed by pool id and origin
 * name and belonging to the origin's identity (its address and hostHeader, `originTarget`): an
 * origin that keeps its name but gets another address starts with fresh counters, and a pool that
 * leaves the configuration leaves nothing behind (`forgetPoolsExcept`). Updated at once on every
 * attempt so the next pick in this isolate already sees it.
 * An attempt's outcome is known when the origin's response headers arrive (or it fails); it counts
 * as in flight until its response body has ended or its WebSocket has closed (`releaseAttempt`), so
 * `least_connections` and `maxConnections` see long downloads and open WebSockets. A ticket that is
 * never released (its request was cut off and nothing settled it) expires after
 * `HELD_TICKET_TTL_MS` without activity, so no count leaks. An origin whose
 * requests keep failing here is ejected here at once (`ejectLocally`; the rule is in pool-view.ts).
 */

import type { Origin } from "../config/schema.ts";
import { originTarget } from "../health/identity.ts";
import { InflightAverage } from "./report-cadence.ts";

/** Why an attempt produced no usable response. */
export type AttemptErrorKind =
  /** No response headers within the load balancer's `timeouts.requestMs`. */
  | "timeout"
  /** The connection failed: refused, reset, DNS, TLS; the runtime does not say which. */
  | "connect"
  /**
   * Not the origin's doing: the client's upload broke off mid-stream, or the runtime refused to send
   * the request. Never a passive health failure.
   */
  | "client";

export interface AttemptOutcome {
  /** Response status, or null when there was none. */
  readonly status: number | null;
  readonly error: AttemptErrorKind | null;
  /** Time from sending to response headers (or to the failure), in ms. */
  readonly latencyMs: number;
}

export interface OriginCounters {
  /** The identity (`originTarget`) these counters belong to. */
  readonly target: string;
  /** Attempts started and not yet ended, in this isolate. */
  inflight: number;
  /** The time average of `inflight`, which decides when it is news for the PoolState (reports.ts). */
  readonly average: InflightAverage;
  attempts: number;
  failures: number;
  /** Passive health failures (the pool's `failOn`) since the last success. */
  consecutiveFailures: number;
  lastStatus: number | null;
  lastError: AttemptErrorKind | null;
  /** Exponentially weighted moving average of successful response times; null before the first. */
  latencyMs: number | null;
  /** End of an ejection this isolate decided on its own; null when there is none. */
  ejectedUntil: number | null;
  /** When that ejection began. */
  ejectedAt: number | null;
}

/** The part of an origin that identifies it: its name, and the server its address and hostHeader name. */
export type OriginIdentity = Pick<Origin, "name" | "address" | "hostHeader">;

/** A started attempt; hand it to `endAttempt` once its outcome is known, and to `releaseAttempt` once it is over. */
export interface AttemptTicket {
  readonly poolId: string;
  readonly origin: string;
  readonly counters: OriginCounters;
  ended: boolean;
  /** Whether it no longer counts as in flight. */
  released: boolean;
  /** Last sign of life (start, response headers, a WebSocket message), for the expiry. */
  activeAt: number;
}

/**
 * A held ticket (a body streaming, a WebSocket open) silent for this long is released anyway: its
 * request was cut off without settling it. Streams that carry on longer stop counting.
 */
export const HELD_TICKET_TTL_MS = 60 * 60_000;
/** Held tickets are swept for expiry at most this often. */
const SWEEP_EVERY_MS = 10_000;
const held = new Set<AttemptTicket>();
let sweptAt = 0;

/** Weight of the newest sample in the latency average. */
const LATENCY_ALPHA = 0.3;

const byPool = new Map<string, Map<string, OriginCounters>>();
const EMPTY: ReadonlyMap<string, OriginCounters> = new Map();

/**
 * Marks an attempt to `origin` of `poolId` as in flight.
 * @example const ticket = beginAttempt("web", "eu-1"); ... endAttempt(ticket, outcome);
 */
export function beginAttempt(poolId: string, origin: OriginIdentity, now = Date.now()): AttemptTicket {
  const counters = countersFor(poolId, origin);
  counters.inflight++;
  counters.average.set(counters.inflight, Date.now());
  counters.attempts++;
  if (held.size > 0 && now - sweptAt >= SWEEP_EVERY_MS) sweepHeld(now);
  return { poolId, origin: origin.name, counters, ended: false, released: false, activeAt: now };
}

/**
 * Stops counting an attempt as in flight; a second call does nothing.
 * @example releaseAttempt(ticket); // the response body ended
 */
export function releaseAttempt(ticket: AttemptTicket): void {
  if (ticket.released) return;
  ticket.released = true;
  held.delete(ticket);
  ticket.counters.inflight = Math.max(0, ticket.counters.inflight - 1);
  ticket.counters.average.set(ticket.counters.inflight, Date.now());
}

/**
 * Keeps an answered attempt in flight until `releaseAttempt` (its body ends, its WebSocket closes);
 * `touch` it on activity. Expires after `HELD_TICKET_TTL_MS` of silence.
 */
export function holdAttempt(ticket: AttemptTicket, now: number): void {
  if (ticket.released) return;
  ticket.activeAt = now;
  held.add(ticket);
}

/** Notes activity on a held ticket (a WebSocket message), which postpones its expiry. */
export function touchAttempt(ticket: AttemptTicket, now: number): void {
  ticket.activeAt = now;
}

/** Releases held tickets silent for longer than `HELD_TICKET_TTL_MS`; returns how many. */
export function sweepHeld(now: number): number {
  sweptAt = now;
  let expired = 0;
  for (const ticket of held) {
    if (now - ticket.activeAt < HELD_TICKET_TTL_MS) continue;
    releaseAttempt(ticket);
    expired++;
  }
  return expired;
}

/**
 * Records how an attempt went; `failed` says whether it counts against the origin's passive health
 * (the pool's `passiveHealth.failOn`). It stays in flight until `releaseAttempt`. A second call for
 * the same ticket does nothing and returns false.
 */
export function endAttempt(ticket: AttemptTicket, outcome: AttemptOutcome, failed: boolean): boolean {
  if (ticket.ended) return false;
  ticket.ended = true;
  const counters = ticket.counters;
  counters.lastStatus = outcome.status;
  counters.lastError = outcome.error;
  if (outcome.error === "client") return true;
  if (failed) {
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

/**
 * This isolate's counters for one origin, or undefined before its first attempt (or when they
 * belong to another server that had the name before).
 */
export function originCounters(poolId: string, origin: OriginIdentity): Readonly<OriginCounters> | undefined {
  const counters = byPool.get(poolId)?.get(origin.name);
  return counters && counters.target === originTarget(origin) ? counters : undefined;
}

/**
 * Forgets everything this isolate saw of pools that are no longer configured, so that a pool
 * created again under the same id starts clean.
 * @example forgetPoolsExcept(new Set(config.pools.map((pool) => pool.id)));
 */
export function forgetPoolsExcept(poolIds: ReadonlySet<string>): number {
  let origins = 0;
  for (const [poolId, counters] of byPool) {
    if (poolIds.has(poolId)) origins += counters.size;
    else byPool.delete(poolId);
  }
  return origins;
}

/** The counters of every origin of `poolId` this isolate has attempted. */
export function poolCounters(poolId: string): ReadonlyMap<string, Readonly<OriginCounters>> {
  return byPool.get(poolId) ?? EMPTY;
}

/**
 * Takes an origin out of this isolate's rotation until `until` and restarts its failure streak, so
 * it needs a fresh run of failures to be ejected again after it returns.
 */
export function ejectLocally(ticket: AttemptTicket, now: number, until: number): void {
  const counters = ticket.counters;
  counters.ejectedAt = now;
  counters.ejectedUntil = until;
  counters.consecutiveFailures = 0;
}

/**
 * Ends this isolate's own ejection of an origin early (its active checks passed since); the origin
 * re-enters service now, so slow start counts from now.
 */
export function endLocalEjection(counters: Readonly<OriginCounters>, now: number): void {
  (counters as OriginCounters).ejectedUntil = now;
}

/** Loop Detected: the request went round in circles (an origin pointing back at the load balancer). */
const LOOP_DETECTED = 508;

/**
 * A failed attempt, for metrics and retries: a connection error, a timeout or a 5xx status. Not a
 * 508: it says the request loops (the load balancer's own answer when an origin points back at it),
 * not that the origin is unwell. Not an attempt the client or the runtime broke (`client`). What
 * counts against passive health is narrower by default: `isPassiveFailure` (health/passive.ts).
 */
export function isFailure(outcome: AttemptOutcome): boolean {
  if (outcome.error !== null) return outcome.error !== "client";
  return outcome.status !== null && outcome.status >= 500 && outcome.status !== LOOP_DETECTED;
}

function countersFor(poolId: string, origin: OriginIdentity): OriginCounters {
  let origins = byPool.get(poolId);
  if (!origins) {
    origins = new Map();
    byPool.set(poolId, origins);
  }
  const target = originTarget(origin);
  const existing = origins.get(origin.name);
  // Another server under the same name: what was seen of the old one says nothing about it.
  if (existing && existing.target === target) return existing;
  const counters: OriginCounters = {
    target,
    inflight: 0,
    average: new InflightAverage(),
    attempts: 0,
    failures: 0,
    consecutiveFailures: 0,
    lastStatus: null,
    lastError: null,
    latencyMs: null,
    ejectedUntil: null,
    ejectedAt: null,
  };
  origins.set(origin.name, counters);
  return counters;
}
