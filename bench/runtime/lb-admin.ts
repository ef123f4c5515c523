/**
 * Talks to the load balancer the way an operator does: seeds the benchmark configuration through
 * the management API, checks that requests are proxied, and reads health and the isolate's
 * Durable Object call counters.
 */
import type { ConfigDocumentInput } from "../../worker/config/schema.ts";
import { type HttpAnswer, http, jsonOrNull } from "../lib/http.ts";
import { sleep } from "../lib/stats.ts";

export const ADMIN_TOKEN = "bench-admin-token";
/** Host header of every proxied benchmark request. */
export const LB_HOST = "bench.localhost";
export const POOL_ID = "bench";
/** Path of the active health checks, so an origin can tell probes from proxied requests. */
export const PROBE_PATH = "/__probe";

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** The benchmark's configuration: one round-robin pool over the origins, one load balancer. */
export function benchConfig(originUrls: readonly string[]): ConfigDocumentInput {
  return {
    pools: [
      {
        id: POOL_ID,
        algorithm: "round_robin",
        origins: originUrls.map((address, i) => ({ name: `origin-${i + 1}`, address })),
        healthCheck: {
          path: PROBE_PATH,
          intervalSeconds: 1,
          timeoutMs: 500,
          healthyThreshold: 2,
          unhealthyThreshold: 2,
        },
        passiveHealth: { consecutiveFailures: 5, ejectionSeconds: 10 },
      },
    ],
    loadBalancers: [{ id: "bench", hostname: LB_HOST, pools: [POOL_ID] }],
  };
}

function describe(answer: HttpAnswer): string {
  return `${answer.status} ${answer.body.slice(0, 300).replaceAll("\n", " ")}`;
}

/**
 * Replaces the configuration through `PUT /__lb/api/v1/config`, then waits until a proxied request
 * reaches an origin. Returns null on success, or what went wrong.
 */
export async function seedAndVerify(lbUrl: string, originUrls: readonly string[]): Promise<string | null> {
  let put: HttpAnswer;
  try {
    put = await http(`${lbUrl}/__lb/api/v1/config`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify(benchConfig(originUrls)),
    });
  } catch (error) {
    return `PUT /__lb/api/v1/config failed: ${String(error)}`;
  }
  if (put.status !== 200) return `PUT /__lb/api/v1/config answered ${describe(put)}`;

  let last = "no answer";
  for (let waited = 0; waited <= 10_000; waited += 250) {
    try {
      const res = await http(`${lbUrl}/`, { host: LB_HOST, timeoutMs: 5000 });
      if (res.status === 200 && typeof res.headers["x-origin"] === "string") return null;
      last = describe(res);
    } catch (error) {
      last = String(error);
    }
    await sleep(250);
  }
  return `a proxied GET / (Host: ${LB_HOST}) did not reach an origin within 10 s; last answer: ${last}`;
}

export interface IsolateCounters {
  doCalls: number;
  proxiedRequests: number;
}

/** The isolate's counters from `GET /__lb/healthz` (`isolate: { doCalls, proxiedRequests }`), or null. */
export async function isolateCounters(lbUrl: string): Promise<IsolateCounters | null> {
  try {
    const res = await http(`${lbUrl}/__lb/healthz`);
    const body = jsonOrNull<{ isolate?: { doCalls?: unknown; proxiedRequests?: unknown } }>(res);
    const isolate = body?.isolate;
    if (!isolate) return null;
    const doCalls =
      typeof isolate.doCalls === "number"
        ? isolate.doCalls
        : (isolate.doCalls as { total?: unknown } | undefined)?.total;
    if (typeof doCalls !== "number" || typeof isolate.proxiedRequests !== "number") return null;
    return { doCalls, proxiedRequests: isolate.proxiedRequests };
  } catch {
    return null;
  }
}

export interface OriginHealth {
  name: string;
  state: string;
  healthy: boolean;
}

/** `GET /__lb/api/v1/pools/{id}/health` origins, or null when the endpoint does not answer 200. */
export async function poolHealth(lbUrl: string): Promise<OriginHealth[] | null> {
  try {
    const res = await http(`${lbUrl}/__lb/api/v1/pools/${POOL_ID}/health`, {
      headers: auth,
      timeoutMs: 2000,
    });
    if (res.status !== 200) return null;
    return jsonOrNull<{ origins?: OriginHealth[] }>(res)?.origins ?? null;
  } catch {
    return null;
  }
}
