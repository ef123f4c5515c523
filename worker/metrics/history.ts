/**
 * A pool's history at one point a minute: per origin, the requests, failed attempts by kind,
 * retries and response-time buckets that edges' metrics deltas carried in that minute, with the
 * origin's state and in-flight figure as last seen in it. The PoolState keeps these as rows and
 * answers `GET /pools/{id}/history`; nothing here costs the proxy a call. Pure.
 */
import { z } from "zod";
import { emptyHistogram, LATENCY_BUCKETS_MS, mergeHistogram } from "./histogram.ts";
import type { MetricsDelta } from "./series.ts";

/** One point a minute. */
export const HISTORY_STEP_MS = 60_000;
/** Windows the API offers, and how far back each reaches. */
export const HISTORY_WINDOWS = { "1h": 3_600_000, "24h": 86_400_000 } as const;
export type HistoryWindow = keyof typeof HISTORY_WINDOWS;
/** Rows older than this are pruned. */
export const HISTORY_KEEP_MS = HISTORY_WINDOWS["24h"];
/** Kinds of failed attempts (`edge_lb_errors_total`'s `kind`). */
export const FAILURE_KINDS = ["5xx", "timeout", "connect"] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** What one origin's minute holds. */
export interface MinuteFigures {
  requests: number;
  failures: Record<FailureKind, number>;
  retries: number;
  /** Attempts per latency bucket (bounds of LATENCY_BUCKETS_MS, then one above them all). */
  latency: number[];
}

const FailuresSchema = z
  .object({
    "5xx": z.number().meta({ description: "Attempts answered 5xx (but 508)." }),
    timeout: z.number().meta({ description: "Attempts that timed out." }),
    connect: z.number().meta({ description: "Attempts that could not connect." }),
  })
  .meta({ description: "Failed attempts by kind (`edge_lb_errors_total`)." });

export const HistoryPointSchema = z
  .object({
    at: z.string().meta({ description: "Start of the minute, ISO 8601." }),
    requests: z.number().meta({ description: "Requests answered through the origin in the minute." }),
    failures: FailuresSchema,
    retries: z.number().meta({ description: "Attempts that retried a request on the origin." }),
    p50Ms: z.number().nullable().meta({
      description: "Upper bound (ms) of the latency bucket of the median attempt; null without attempts.",
    }),
    p95Ms: z
      .number()
      .nullable()
      .meta({ description: "Upper bound (ms) of the latency bucket of the 95th percentile attempt." }),
    inflight: z
      .number()
      .nullable()
      .meta({ description: "Requests in flight when last seen in the minute (summed for the pool)." }),
    state: z.string().nullable().meta({
      description:
        "The origin's state when last seen in the minute; for the pool, healthy while any origin was.",
    }),
  })
  .meta({ description: "One minute of an origin's or a pool's traffic." });
/** One point of the API's answer. */
export type HistoryPoint = z.output<typeof HistoryPointSchema>;

export const PoolHistorySchema = z
  .object({
    pool: z.string(),
    window: z.enum(["1h", "24h"]).meta({ description: "The window asked for." }),
    stepSeconds: z.number().int().meta({ description: "Seconds between points (60)." }),
    from: z.string().meta({ description: "Start of the window's first minute, ISO 8601." }),
    to: z.string().meta({ description: "When the history was read, ISO 8601." }),
    total: z
      .array(HistoryPointSchema)
      .meta({ description: "The pool's points: its origins' figures summed." }),
    origins: z
      .array(z.object({ name: z.string(), points: z.array(HistoryPointSchema) }))
      .meta({ description: "Each configured origin's points, minutes without reports left out." }),
    events: z
      .array(
        z.object({
          at: z.string(),
          kind: z.string(),
          origin: z.string().nullable(),
          message: z.string(),
        }),
      )
      .meta({ description: "Health changes, ejections and pool failovers in the window, oldest first." }),
  })
  .meta({
    description:
      "A pool's history, one point a minute, from the figures edges' reports already carry (docs/storage.md).",
  });
/** The body of `GET /pools/{id}/history`. */
export type PoolHistory = z.output<typeof PoolHistorySchema>;

/** The start of the minute `now` falls in, epoch ms. */
export function minuteOf(now: number): number {
  return Math.floor(now / HISTORY_STEP_MS) * HISTORY_STEP_MS;
}

/** Figures with nothing counted. */
export function emptyFigures(): MinuteFigures {
  return {
    requests: 0,
    failures: { "5xx": 0, timeout: 0, connect: 0 },
    retries: 0,
    latency: emptyHistogram().buckets,
  };
}

/** Adds `other` into `into`. */
export function addFigures(into: MinuteFigures, other: MinuteFigures): void {
  into.requests += other.requests;
  into.retries += other.retries;
  for (const kind of FAILURE_KINDS) into.failures[kind] += other.failures[kind] ?? 0;
  const merged = { buckets: into.latency, sum: 0, count: 0 };
  mergeHistogram(merged, { buckets: other.latency, sum: 0, count: 0 });
}

/**
 * Each origin's figures in an edge's metrics delta (summed over load balancers and status classes).
 * @example figuresOfDelta(delta).get("a")?.requests // 12
 */
export function figuresOfDelta(delta: MetricsDelta): Map<string, MinuteFigures> {
  const byOrigin = new Map<string, MinuteFigures>();
  const of = (origin: string): MinuteFigures => {
    let figures = byOrigin.get(origin);
    if (!figures) {
      figures = emptyFigures();
      byOrigin.set(origin, figures);
    }
    return figures;
  };
  for (const point of delta.counters) {
    const origin = point.labels.origin;
    if (origin === undefined || !(point.value > 0)) continue;
    if (point.name === "edge_lb_requests_total") of(origin).requests += point.value;
    else if (point.name === "edge_lb_retries_total") of(origin).retries += point.value;
    else if (point.name === "edge_lb_errors_total") {
      const kind = point.labels.kind as FailureKind;
      if ((FAILURE_KINDS as readonly string[]).includes(kind)) of(origin).failures[kind] += point.value;
    }
  }
  for (const point of delta.histograms) {
    const origin = point.labels.origin;
    if (origin === undefined || point.name !== "edge_lb_origin_response_seconds") continue;
    const figures = of(origin);
    addFigures(figures, { ...emptyFigures(), latency: point.histogram.buckets });
  }
  return byOrigin;
}

/**
 * The upper bound (ms) of the bucket where the `q` quantile falls; the slowest bucket answers the
 * last bound. Null when nothing was observed.
 * @example quantileMs([0, 3, 1, 0, ...], 0.5) // 10
 */
export function quantileMs(buckets: readonly number[], q: number): number | null {
  const total = buckets.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = q * total;
  let running = 0;
  for (let i = 0; i < buckets.length; i++) {
    running += buckets[i] ?? 0;
    if (running >= rank) return LATENCY_BUCKETS_MS[Math.min(i, LATENCY_BUCKETS_MS.length - 1)] ?? null;
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1] ?? null;
}

/** The API's point for a minute's figures. */
export function toPoint(
  minute: number,
  figures: MinuteFigures,
  inflight: number | null,
  state: string | null,
): HistoryPoint {
  return {
    at: new Date(minute).toISOString(),
    requests: figures.requests,
    failures: { ...figures.failures },
    retries: figures.retries,
    p50Ms: quantileMs(figures.latency, 0.5),
    p95Ms: quantileMs(figures.latency, 0.95),
    inflight,
    state,
  };
}
