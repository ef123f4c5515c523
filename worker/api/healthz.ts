/**
 * `GET /__lb/healthz`: no auth; 200 while this isolate can read its configuration, else 503.
 */
import type { Context } from "hono";
import { getConfig } from "../edge/config-cache.ts";
import { doCallStats } from "../edge/do-calls.ts";
import { isolateMemory } from "../edge/isolate-memory.ts";
import type { Env } from "../env.ts";
import { ProblemError } from "../http/problem.ts";

export async function healthz(c: Context<{ Bindings: Env }>): Promise<Response> {
  try {
    const config = await getConfig(c.env, waitUntilOf(c));
    // This isolate's Durable Object calls and proxied requests, read by the benchmarks (state cost).
    const { total: doCalls, proxiedRequests } = doCallStats();
    return c.json(
      {
        status: "ok",
        configVersion: config.version,
        isolate: { doCalls, proxiedRequests, memory: isolateMemory(config) },
      },
      200,
      { "cache-control": "no-store" },
    );
  } catch (error) {
    if (error instanceof ProblemError) throw error;
    throw new ProblemError(503, "The configuration cannot be read right now.", {
      headers: { "retry-after": "1" },
    });
  }
}

/** The request's `waitUntil`; when the app runs without an execution context (tests), a detached one. */
export function waitUntilOf(c: Context): Pick<ExecutionContext, "waitUntil"> {
  try {
    return c.executionCtx;
  } catch {
    return { waitUntil: (promise) => void promise.catch(() => {}) };
  }
}
