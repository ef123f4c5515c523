/**
 * Shapes shared by the health rules, the PoolState Durable Object and the edge. Pure (zod only), so
 * the edge and plain Node tests import them too. The body of `GET /pools/{id}/health` is declared
 * once, as a zod schema: its type and its OpenAPI schema both come from it.
 */
import { z } from "zod";

/** Verdict of the active health checks: `unknown` until the first verdict, or when checks are off. */
export type CheckStatus = "unknown" | "healthy" | "unhealthy";

/** What the API reports for an origin (see docs/health.md for the order of precedence). */
export const ORIGIN_STATES = ["healthy", "unhealthy", "unknown", "ejected", "draining", "disabled"] as const;
export type OriginState = (typeof ORIGIN_STATES)[number];

/** Durable per-origin health state kept by the PoolState DO (one SQLite row per origin). */
export interface OriginRecord {
  name: string;
  /** Address and hostHeader the state belongs to; another target means another server, new state. */
  target: string;
  addedAt: number;
  check: CheckStatus;
  /** Consecutive successful probes. */
  successes: number;
  /** Consecutive failed probes. */
  failures: number;
  /** Start of the current in-service period (added, recovered, back from ejection); null while out. */
  healthySince: number | null;
  lastCheckAt: number | null;
  lastError: string | null;
  /** Moving average of response times, fed by probes and by the edges' reports. */
  latencyMs: number | null;
  /** Failed requests in a row across all edges (merged from their reports). */
  passiveStreak: number;
  /** Ejection count driving the growth of ejection times; decays while the origin serves. */
  ejections: number;
  /** Set while ejected (cleared once the DO notices the expiry). */
  ejectedUntil: number | null;
  /** When the running (or last) ejection began. */
  ejectedAt: number | null;
  lastEjectionEnd: number | null;
  /** When the current run of passing active checks began (the first of them ended); null after a failure. */
  passingSince: number | null;
}

/** One origin as the edge sees it in a pool snapshot. */
export interface OriginSnapshot {
  name: string;
  /**
   * The server this state belongs to (`originTarget`: address and hostHeader). An edge whose
   * configuration names another server under this name ignores the entry.
   */
  target: string;
  state: OriginState;
  /** Enabled, not ejected, not failed by active checks: may receive traffic (weight permitting). */
  healthy: boolean;
  check: CheckStatus;
  /** Start of the current in-service period, for slow start; null while out of service. */
  healthySince: number | null;
  ejectedUntil: number | null;
  /** Sum of the in-flight requests that fresh edge reports announced. */
  inflight: number;
  latencyMs: number | null;
  lastCheckAt: number | null;
  lastError: string | null;
  consecutiveFailures: number;
  /**
   * Start of the current run of passing active checks once the run is `healthyThreshold` long (the
   * origin passed its checks again); null otherwise. An ejection that began before it is over, at
   * the PoolState and in every isolate.
   */
  passingSince: number | null;
  /** When the drain of this origin through the API began (ms since epoch), while it is drained. */
  drainedAt?: number;
  /**
   * Its weight before that drain: header and ip affinity find a key's home in the hash table the
   * pool had before the drain, so the keys pinned to the origin keep it during the drain time.
   */
  drainedWeight?: number;
  /** The configured weight this snapshot was computed with. */
  weight?: number;
  /**
   * With `healthCheck.regions`: how many of the `of` regions see the origin healthy and unhealthy
   * (the verdict in `check` is their quorum, worker/health/regions.ts).
   */
  regions?: { healthy: number; unhealthy: number; of: number };
}

/** What `PoolState.snapshot()` returns and the edge caches (about one second). */
export interface PoolSnapshot {
  pool: string;
  /** Version of the pool configuration the DO applied. */
  version: number;
  healthy: boolean;
  healthyOrigins: number;
  origins: Record<string, OriginSnapshot>;
  /** When the DO built this snapshot (ms since epoch). */
  at: number;
  /**
   * The newest configuration version the PoolState heard of (the ConfigStore announces every
   * version to every PoolState; edges report theirs): an edge holding an older one reads it again.
   */
  configVersion?: number;
  /**
   * Present and true while the pool's reports should go through the regional aggregators
   * (worker/health/aggregation-mode.ts); edges in auto mode follow it.
   */
  aggregated?: boolean;
}

/** One region's view of an origin in `GET /pools/{id}/health` (with `healthCheck.regions`). */
export const RegionHealthSchema = z.object({
  healthy: z.boolean().meta({ description: "false once this region's checks failed the origin." }),
  lastCheckAt: z.string().nullable().meta({ description: "ISO 8601, null before the region's first check." }),
  latencyMs: z.number().nullable().meta({ description: "Time to response headers of its last check." }),
  lastError: z.string().nullable(),
});

/** One origin in the body of `GET /pools/{id}/health` (API.md). */
export const OriginHealthSchema = z.object({
  name: z.string(),
  state: z.enum(ORIGIN_STATES),
  healthy: z.boolean(),
  lastCheckAt: z.string().nullable().meta({ description: "ISO 8601, null before the first check." }),
  lastError: z.string().nullable(),
  latencyMs: z.number().nullable(),
  consecutiveFailures: z.number().int(),
  inflight: z.number().int(),
  ejectedUntil: z.string().nullable().meta({ description: "ISO 8601 while ejected, else null." }),
  regions: z.record(z.string(), RegionHealthSchema).optional().meta({
    description:
      "With healthCheck.regions: each region's view of the origin; the origin is healthy when a strict majority of regions see it healthy.",
  }),
  drainingUntil: z.string().optional().meta({
    description:
      "ISO 8601: while the origin is drained and clients pinned to it may still reach it (sessionAffinity.drainSeconds).",
  }),
});
export type OriginHealth = z.output<typeof OriginHealthSchema>;

/** The body drain and undrain answer: the origin's health with the weights involved. */
export const DrainResultSchema = OriginHealthSchema.extend({
  pool: z.string(),
  origin: z.string(),
  weight: z.number().meta({ description: "The weight now configured." }),
  drained: z.boolean().meta({ description: "Drained through the API and not yet undrained." }),
  restoreWeight: z
    .number()
    .nullable()
    .meta({ description: "The weight undrain restores (drain) or restored (undrain)." }),
  changed: z
    .boolean()
    .meta({ description: "False when the origin already was in the requested state (nothing was written)." }),
}).meta({
  description: "The origin's new state (draining until its in-flight count reaches 0, or restored).",
});

/** What drain and undrain answer. */
export type DrainResult = z.output<typeof DrainResultSchema>;

/** The body of `GET /pools/{id}/health` (API.md). */
export const PoolHealthSchema = z
  .object({
    pool: z.string(),
    healthy: z.boolean(),
    healthyOrigins: z.number().int(),
    origins: z.array(OriginHealthSchema),
  })
  .meta({ description: "Health of a pool and of each of its origins, as its PoolState sees it now." });
export type PoolHealth = z.output<typeof PoolHealthSchema>;

/** One origin's traffic in an edge report, since that isolate's previous report. */
export interface OriginReport {
  /** Requests in flight in this isolate when the report was sent. */
  inflight: number;
  /** Requests completed since the previous report. */
  requests: number;
  /** Of those, the failed ones (5xx, connection errors, timeouts). */
  failures: number;
  /** Failed requests in a row at the end of the period, as this isolate saw them. */
  consecutiveFailures: number;
  /** Mean response time of the completed requests, when there were any. */
  latencyMsAvg?: number;
}

/**
 * What one isolate sends to a pool's DO, batched (at most every few hundred ms). Each report
 * replaces that isolate's in-flight figures: an origin left out has none in flight there.
 */
export interface HealthReport {
  isolateId: string;
  /** The isolate's clock when it sent the report; orders its reports. */
  sentAt: number;
  origins: Record<string, OriginReport>;
  /** The configuration version the isolate holds, if any. */
  configVersion?: number;
  /** How many isolates the report speaks for: an aggregator's forward; 1 when absent. */
  isolates?: number;
}

export type HealthEventKind =
  | "origin_healthy"
  | "origin_unhealthy"
  | "origin_ejected"
  | "origin_returned"
  | "pool_healthy"
  | "pool_unhealthy";

/** A state change that matters, stored by the DO and logged as one JSON line. */
export interface HealthEvent {
  at: number;
  kind: HealthEventKind;
  /** `pool` or `pool/origin`. */
  subject: string;
  message: string;
  pool: string;
  origin: string | null;
}

/** A pool's health history as `PoolState.timeline()` returns it, for the failover history. */
export interface PoolTimeline {
  pool: string;
  /** The current pool verdict; null before the first one. */
  healthy: boolean | null;
  /** The newest `pool_healthy` / `pool_unhealthy` events, newest first. */
  events: HealthEvent[];
}
