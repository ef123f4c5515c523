/**
 * What the proxy does once it knows how a request ends: count it for `/__lb/metrics` (carried by the
 * pool's next report), write one Analytics Engine data point when the `ANALYTICS` binding exists,
 * and log one JSON line for the share of requests `REQUEST_LOG_SAMPLE_RATE` asks for. None of it
 * waits or can fail the request.
 */
import type { Env } from "../env.ts";
import { accessLogLine, analyticsPoint, parseSampleRate, type RequestEvent, sampled } from "../metrics/request-event.ts";
import { type RequestRecord, recordRequest } from "./metrics.ts";
import { flushReports, notePoolActivity } from "./reports.ts";

export interface FinishedRequest extends RequestRecord {
  readonly requestId: string;
  readonly method: string;
  /** Attempts sent to origins (0 when none could be tried). */
  readonly attempts: number;
  readonly clientIp: string | null;
  readonly country: string | null;
}

/**
 * Records one request that matched a load balancer, however it ended.
 * @example observeRequest(env, ctx, { requestId, method, loadBalancer, choice, pinnedPool, served, status, attempts, durationMs, clientIp, country });
 */
export function observeRequest(env: Env, ctx: Pick<ExecutionContext, "waitUntil">, request: FinishedRequest): void {
  const carrier = recordRequest(request);
  if (carrier !== null) {
    notePoolActivity(carrier);
    flushReports(env, ctx, Date.now());
  }
  const event: RequestEvent = {
    requestId: request.requestId,
    loadBalancer: request.loadBalancer.id,
    pool: request.served?.pool ?? null,
    origin: request.served?.origin ?? null,
    method: request.method,
    status: request.status,
    attempts: request.attempts,
    durationMs: request.durationMs,
    clientIp: request.clientIp,
    country: request.country,
  };
  if (env.ANALYTICS) writeAnalytics(env.ANALYTICS, event);
  if (sampled(parseSampleRate(env.REQUEST_LOG_SAMPLE_RATE), Math.random)) {
    console.log(accessLogLine(event, Date.now()));
  }
}

function writeAnalytics(dataset: AnalyticsEngineDataset, event: RequestEvent): void {
  try {
    dataset.writeDataPoint(analyticsPoint(event));
  } catch (error) {
    // A misconfigured dataset must not fail the request it describes; the log says what is wrong.
    console.log(JSON.stringify({ event: "analytics_write_failed", requestId: event.requestId, error: String(error) }));
  }
}
