/**
 * Shared pieces of the proxy tests inside workerd: install a configuration in this isolate and
 * send a request through the whole Worker (dispatch, proxy, error rendering).
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { inject } from "vitest";
import {
  type LoadBalancerInput,
  LoadBalancerSchema,
  type PoolInput,
  PoolSchema,
} from "../../../worker/config/schema.ts";
import { acceptSnapshot } from "../../../worker/edge/config-cache.ts";
import type { Env } from "../../../worker/env.ts";
import app from "../../../worker/index.ts";

/** The loopback origin of global-setup.ts: `/status/<code>`, `/echo`, `/slow`, `/redirect`, else `ok`. */
export const ORIGIN = `http://127.0.0.1:${inject("probeOriginPort")}`;
/** Nothing listens on port 1: connections are refused. */
export const REFUSING = "http://127.0.0.1:1";

// Above anything the store hands out in a test, so a background refresh never replaces it.
let version = 1_000_000;

/** Makes `pools` and `loadBalancers` the configuration this isolate routes by. */
export function installConfig(pools: PoolInput[], loadBalancers: LoadBalancerInput[]): void {
  version++;
  acceptSnapshot({
    version,
    pools: pools.map((pool) => ({ ...PoolSchema.parse(pool), version })),
    loadBalancers: loadBalancers.map((lb) => ({ ...LoadBalancerSchema.parse(lb), version })),
  });
}

/**
 * Sends one request through the Worker as a client would: reads the body (an origin's response is
 * piped to the client, and the attempt counts as in flight until it has been read), then waits for
 * the Worker's background work.
 */
export async function send(url: string, init: RequestInit = {}, bindings: Env = env): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.request(url, init, bindings, ctx);
  if (response.webSocket !== null) {
    await waitOnExecutionContext(ctx);
    return response;
  }
  const body = response.body === null ? null : await response.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** The problem document of an error response, after checking its content type. */
export async function problemOf(
  response: Response,
): Promise<{ type: string; status: number; detail: string }> {
  if (response.headers.get("content-type") !== "application/problem+json") {
    throw new Error(
      `expected problem JSON, got ${response.headers.get("content-type")}: ${await response.text()}`,
    );
  }
  return (await response.json()) as { type: string; status: number; detail: string };
}
