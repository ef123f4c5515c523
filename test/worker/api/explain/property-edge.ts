/**
 * The two sides the explain property test (property.test.ts) compares: where `POST /explain` and
 * `GET /explain` say a generated request goes, and where the edge sends it, read off the response
 * (debug headers `x-lb-pool`/`x-lb-origin`, a problem's type, or the rule named in the answer).
 */
import { installConfig, ORIGIN, send } from "../../proxy/support.ts";
import { API, call, json, READ_TOKEN } from "../support.ts";
import { type GeneratedRequest, ORIGIN_PLACEHOLDER, PLACES, type PropertyCase } from "./property-gen.ts";
import { type Explained, explain } from "./support.ts";

/** Where one request went, as explain says or as the edge's response shows. */
export interface Placement {
  outcome: string;
  loadBalancer: string | null;
  pool: string | null;
  origin: string | null;
  status: number | null;
}

/** Installs `testCase` with its origins on the loopback origin server. */
export function installCase(testCase: PropertyCase): void {
  const pools = testCase.pools.map((pool) => ({
    ...pool,
    origins: pool.origins.map((origin) => ({
      ...origin,
      address: origin.address === ORIGIN_PLACEHOLDER ? ORIGIN : origin.address,
    })),
  }));
  installConfig(pools, testCase.loadBalancers);
}

/** `POST /explain` about every request at once: where each goes now. */
export async function explainAll(requests: readonly GeneratedRequest[]): Promise<Placement[]> {
  const response = await call("POST", `${API}/explain`, { body: { requests }, token: READ_TOKEN });
  if (response.status !== 200) throw new Error(`POST /explain: ${response.status} ${await response.text()}`);
  const body = await json<{ items: { now: Placement }[] }>(response);
  return body.items.map((item) => item.now);
}

/** `GET /explain` about one request, described as POST /explain has it. */
export function explainOne(request: GeneratedRequest): Promise<Explained> {
  return explain(request.url, {
    headers: request.headers,
    ...(request.ip !== undefined ? { ip: request.ip } : {}),
    ...(request.country !== undefined ? { country: request.country } : {}),
    method: request.method,
  });
}

/** The placement of a GET /explain answer. */
export function placementOf(explained: Explained): Placement {
  return {
    outcome: explained.outcome,
    loadBalancer: explained.loadBalancer?.id ?? null,
    pool: explained.pool?.id ?? null,
    origin: explained.origin?.name ?? null,
    status: explained.wouldRespond?.status ?? null,
  };
}

const PROBLEM_OUTCOMES: Record<string, string> = {
  "no-load-balancer": "no_load_balancer",
  "no-healthy-origin": "no_origin",
  "loop-detected": "loop",
};
/** A HEAD request's problem has no body: its status tells which one it is. */
const HEAD_PROBLEMS: Record<number, string> = { 404: "no_load_balancer", 503: "no_origin", 508: "loop" };

/**
 * Sends `request` through the Worker as a client in `request.country` (with its continent, as
 * `request.cf` has both) at `request.ip` would, and reads where it went.
 */
export async function atEdge(request: GeneratedRequest, testCase: PropertyCase): Promise<Placement> {
  const headers = new Headers(request.headers);
  if (request.ip !== undefined) headers.set("cf-connecting-ip", request.ip);
  const cf = request.country ? { country: request.country, continent: PLACES[request.country] } : undefined;
  const response = await send(request.url, {
    method: request.method,
    headers,
    ...(cf ? { cf: cf as IncomingRequestCfProperties } : {}),
  });
  const pool = response.headers.get("x-lb-pool");
  if (pool !== null) {
    return {
      outcome: "proxied",
      loadBalancer: testCase.facts.get(pool)?.loadBalancer ?? `unknown pool ${pool}`,
      pool,
      origin: response.headers.get("x-lb-origin"),
      status: null,
    };
  }
  const status = response.status;
  const nothing = { loadBalancer: null, pool: null, origin: null, status };
  if (response.headers.get("content-type") === "application/problem+json") {
    if (request.method === "HEAD")
      return { outcome: HEAD_PROBLEMS[status] ?? `problem ${status}`, ...nothing };
    const type = ((await response.json()) as { type: string }).type;
    return {
      outcome: PROBLEM_OUTCOMES[type.slice(type.lastIndexOf("/") + 1)] ?? `problem ${type}`,
      ...nothing,
    };
  }
  // A rule's answer names its load balancer and rule: `x-rule` (respond) or the Location (redirect).
  const named =
    response.headers.get("x-rule") ?? /\/(lb\d+\.r\d+)/.exec(response.headers.get("location") ?? "")?.[1];
  if (!named) return { outcome: `unclassified ${status}`, ...nothing };
  return { ...nothing, outcome: "rule", loadBalancer: named.split(".")[0]! };
}
