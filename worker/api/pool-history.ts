/**
 * `GET /pools/{id}/history?window=1h|24h`: the pool's minute-by-minute history as its PoolState keeps
 * it (worker/metrics/history.ts): per origin and for the pool, requests, failed attempts by kind,
 * retries, p50/p95 response time, in flight and state, plus the health events of the window.
 */
import type { PoolHistory } from "../../durable-objects/pool-state/history.ts";
import type { Env } from "../env.ts";
import { ProblemError, problemType } from "../http/problem.ts";
import { HISTORY_STEP_MS, HISTORY_WINDOWS, type HistoryWindow } from "../metrics/history.ts";
import { poolState, readPool } from "./pool-ops.ts";

/** The window a query asks for; `1h` when it names none. */
export function historyWindow(value: string | undefined): HistoryWindow {
  if (value === undefined || value === "") return "1h";
  if (Object.hasOwn(HISTORY_WINDOWS, value)) return value as HistoryWindow;
  const message = `must be one of ${Object.keys(HISTORY_WINDOWS).join(", ")}`;
  throw new ProblemError(400, `Query parameter window ${message}.`, {
    type: problemType("validation"),
    title: "Validation failed",
    errors: [{ path: "window", message }],
  });
}

/** The history of pool `poolId` (404 for an unknown pool; empty series before any report). */
export async function readPoolHistory(env: Env, poolId: string, window: HistoryWindow): Promise<PoolHistory> {
  const pool = await readPool(env, poolId);
  let history: PoolHistory | null;
  try {
    history = await poolState(env, pool.id).history(window);
  } catch (error) {
    console.log(JSON.stringify({ event: "pool_history_failed", pool: pool.id, error: String(error) }));
    throw new ProblemError(503, `The history of pool "${pool.id}" cannot be read right now; try again.`, {
      headers: { "retry-after": "1" },
    });
  }
  if (history) return history;
  const now = Date.now();
  const from = Math.floor((now - HISTORY_WINDOWS[window]) / HISTORY_STEP_MS + 1) * HISTORY_STEP_MS;
  return {
    pool: pool.id,
    window,
    stepSeconds: HISTORY_STEP_MS / 1000,
    from: new Date(from).toISOString(),
    to: new Date(now).toISOString(),
    total: [],
    origins: pool.origins.map((origin) => ({ name: origin.name, points: [] })),
    events: [],
  };
}
