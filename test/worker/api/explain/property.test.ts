/**
 * Property: what explain says and what the edge does agree. For each seed, a generated configuration
 * (property-gen.ts) is installed, `POST /explain` is asked once about a few hundred generated
 * requests, and each request is then sent through the Worker to the loopback origin. Both must give
 * the same outcome (proxied, a rule's answer with its status, 503 without an origin, 404 without a
 * load balancer), the same load balancer, the same pool wherever steering does not draw at random,
 * and the same origin wherever the pool's choice does not depend on what came before (hash, first,
 * one usable origin); round robin and weighted random pools are compared by pool only. Requests
 * steered at random are asked again with `GET /explain`, whose shares must include the pool the edge
 * took. A failure names the seed and the request, so it can be replayed.
 */
import { describe, expect, it } from "vitest";
import { installConfig, ORIGIN, send } from "../../proxy/support.ts";
import { API, call, json, READ_TOKEN } from "../support.ts";
import {
  type GeneratedRequest,
  generateCase,
  generateRequests,
  ORIGIN_PLACEHOLDER,
  PLACES,
  type PropertyCase,
} from "./property-gen.ts";
import { type Explained, explain } from "./support.ts";

const SEEDS = [0x1ee7, 20_261_203, 424_242, 7, 99, 12345, 31337, 4];
const REQUESTS_PER_SEED = 250;
/** Besides every randomly steered request, every this many requests are also asked of GET /explain. */
const GET_EVERY = 10;

/** Where one request went, as POST /explain's `now` says or as the edge's response shows. */
interface Placement {
  outcome: string;
  loadBalancer: string | null;
  pool: string | null;
  origin: string | null;
  status: number | null;
}

interface Disagreement {
  index: number;
  request: GeneratedRequest;
  what: string;
  explained: Placement;
  edge: Placement;
}

async function explainAll(requests: readonly GeneratedRequest[]): Promise<Placement[]> {
  const response = await call("POST", `${API}/explain`, { body: { requests }, token: READ_TOKEN });
  if (response.status !== 200) throw new Error(`POST /explain: ${response.status} ${await response.text()}`);
  const body = await json<{ items: { now: Placement }[] }>(response);
  return body.items.map((item) => item.now);
}

/** Sends `request` through the Worker as a client at `country` would, and reads where it went. */
async function atEdge(request: GeneratedRequest, testCase: PropertyCase): Promise<Placement> {
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
  if (response.headers.get("content-type") === "application/problem+json") {
    // A HEAD request's problem has no body: its status tells which one it is.
    const type =
      request.method === "HEAD"
        ? ({ 404: "/no-load-balancer", 503: "/no-healthy-origin" }[status] ?? String(status))
        : ((await response.json()) as { type: string }).type;
    const outcome = type.endsWith("/no-load-balancer")
      ? "no_load_balancer"
      : type.endsWith("/no-healthy-origin")
        ? "no_origin"
        : `problem ${type}`;
    return { outcome, loadBalancer: null, pool: null, origin: null, status };
  }
  // A rule's answer names its load balancer and rule: `x-rule` (respond) or the Location (redirect).
  const named =
    response.headers.get("x-rule") ?? /\/(lb\d+)\.r\d+/.exec(response.headers.get("location") ?? "")?.[1];
  return {
    outcome: named ? "rule" : `unclassified ${status}`,
    loadBalancer: named ? named.split(".")[0]! : null,
    pool: null,
    origin: null,
    status,
  };
}

/** The placement POST /explain gives, with the parts the edge's response cannot show set aside. */
function comparable(explained: Placement): Placement {
  const proxied = explained.outcome === "proxied";
  const answeredHere = explained.outcome === "no_load_balancer" || explained.outcome === "no_origin";
  return {
    outcome: explained.outcome,
    // The edge's 404 and 503 problems do not name a load balancer.
    loadBalancer: answeredHere ? null : explained.loadBalancer,
    pool: proxied ? explained.pool : null,
    origin: proxied ? explained.origin : null,
    status: proxied ? null : explained.status,
  };
}

/** What the checks compared, over every seed (the property must not hold vacuously). */
const covered = {
  outcomes: new Map<string, number>(),
  pools: 0,
  origins: 0,
  randomPools: 0,
  getExplains: 0,
  seeds: 0,
};

/** The first part on which explain's `explained` and the edge's `edge` differ, or null. */
function compare(testCase: PropertyCase, explained: Placement, edge: Placement): string | null {
  const expected = comparable(explained);
  if (expected.outcome !== edge.outcome) return "outcome";
  if (expected.status !== edge.status) return "status";
  if (expected.loadBalancer !== edge.loadBalancer) return "load balancer";
  if (expected.outcome !== "proxied") return null;
  if (steeringOf(testCase, edge) === "random") return null; // GET /explain's shares instead
  if (expected.pool !== edge.pool) return "pool";
  covered.pools++;
  if (!testCase.facts.get(edge.pool!)?.fixedOrigin) return null;
  covered.origins++;
  return expected.origin !== edge.origin ? "origin" : null;
}

function steeringOf(testCase: PropertyCase, edge: Placement): string | undefined {
  return testCase.loadBalancers.find((lb) => lb.id === edge.loadBalancer)?.steering;
}

/**
 * GET /explain about one request: the same placement as the edge's, a decision it calls fixed
 * where it cannot depend on chance or on earlier requests, and for random steering shares that
 * include the pool the edge drew.
 */
async function compareWithGet(testCase: PropertyCase, request: GeneratedRequest, edge: Placement) {
  const one = await explainOne(request);
  covered.getExplains++;
  const placement: Placement = {
    outcome: one.outcome,
    loadBalancer: one.loadBalancer?.id ?? null,
    pool: one.pool?.id ?? null,
    origin: one.origin?.name ?? null,
    status: one.wouldRespond?.status ?? null,
  };
  const what = compare(testCase, placement, edge);
  if (what) return `GET /explain: ${what}`;
  if (edge.outcome !== "proxied") return null;
  if (steeringOf(testCase, edge) === "random") {
    covered.randomPools++;
    const shares = one.pool?.decided === "draw" ? (one.pool.shares ?? []) : [{ id: one.pool?.id, share: 1 }];
    return shares.some((share) => share.id === edge.pool && share.share > 0)
      ? null
      : "GET /explain: the pool is not among the shares of random steering";
  }
  if (one.pool?.decided !== "fixed") return "GET /explain: the pool is not marked fixed";
  if (testCase.facts.get(edge.pool!)?.fixedOrigin && one.origin?.decided !== "fixed")
    return "GET /explain: the origin is not marked fixed";
  return null;
}

/** The explanation GET /explain gives for `request`, as it describes a request. */
function explainOne(request: GeneratedRequest): Promise<Explained> {
  return explain(request.url, {
    headers: request.headers,
    ...(request.ip !== undefined ? { ip: request.ip } : {}),
    ...(request.country !== undefined ? { country: request.country } : {}),
    method: request.method,
  });
}

function withOrigin(testCase: PropertyCase): PropertyCase {
  return {
    ...testCase,
    pools: testCase.pools.map((pool) => ({
      ...pool,
      origins: pool.origins.map((origin) => ({
        ...origin,
        address: origin.address === ORIGIN_PLACEHOLDER ? ORIGIN : origin.address,
      })),
    })),
  };
}

function report(seed: number, disagreements: readonly Disagreement[]): string {
  const lines = disagreements
    .slice(0, 5)
    .map(
      (d) =>
        `  #${d.index} ${d.what}: ${JSON.stringify(d.request)}\n    explain ${JSON.stringify(d.explained)}\n    edge    ${JSON.stringify(d.edge)}`,
    );
  return `seed ${seed}: ${disagreements.length} disagreement(s); replay with SEEDS = [${seed}]\n${lines.join("\n")}`;
}

describe("explain and the edge agree on generated configurations and requests", () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}`, async () => {
      const testCase = withOrigin(generateCase(seed));
      installConfig(testCase.pools, testCase.loadBalancers);
      const requests = generateRequests(seed, testCase, REQUESTS_PER_SEED);
      const explained = await explainAll(requests);
      expect(explained).toHaveLength(requests.length);
      const disagreements: Disagreement[] = [];
      for (let i = 0; i < requests.length; i++) {
        const request = requests[i]!;
        const edge = await atEdge(request, testCase);
        covered.outcomes.set(edge.outcome, (covered.outcomes.get(edge.outcome) ?? 0) + 1);
        let what = compare(testCase, explained[i]!, edge);
        // Random steering every time, the rest now and then: GET /explain says the same.
        if (!what && (steeringOf(testCase, edge) === "random" || i % GET_EVERY === 0)) {
          what = await compareWithGet(testCase, request, edge);
        }
        if (what) disagreements.push({ index: i, request, what, explained: explained[i]!, edge });
      }
      covered.seeds++;
      expect(disagreements, report(seed, disagreements)).toEqual([]);
    });
  }

  it("compared every outcome, pools and origins over the seeds", (ctx) => {
    if (covered.seeds < SEEDS.length) ctx.skip();
    expect([...covered.outcomes.keys()].sort()).toEqual(["no_load_balancer", "no_origin", "proxied", "rule"]);
    expect(covered.pools).toBeGreaterThan(SEEDS.length * 20);
    expect(covered.origins).toBeGreaterThan(SEEDS.length * 10);
    expect(covered.randomPools).toBeGreaterThan(0);
    expect(covered.getExplains).toBeGreaterThan(SEEDS.length * 10);
  });
});
