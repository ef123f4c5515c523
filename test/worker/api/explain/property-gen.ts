/**
 * The generator of the explain property test (property.test.ts): from a seed, a configuration of a
 * few load balancers on hostnames and path prefixes, with rules, steering, a pool override header
 * and pools, and requests that exercise them. Pure: the same seed always gives the same case.
 *
 * Every pool belongs to one load balancer (`<lb>-p<n>`, rules route only to their own load
 * balancer's pools), so the pool that served tells which load balancer did; every rule answer names
 * its load balancer and rule in a header (`respond`) or in its Location (`redirect`).
 */
import type { LoadBalancerInput, OriginInput, PoolInput } from "../../../../worker/config/schema.ts";
import type { RuleWhen } from "../../../../worker/config/traffic.ts";

/** mulberry32: a small seeded generator, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

class Pick {
  readonly random: () => number;
  constructor(random: () => number) {
    this.random = random;
  }
  int(below: number): number {
    return Math.floor(this.random() * below);
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  one<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  some<T>(list: readonly T[], min: number, max: number): T[] {
    const count = Math.min(list.length, min + this.int(max - min + 1));
    const left = [...list];
    const out: T[] = [];
    while (out.length < count) out.push(left.splice(this.int(left.length), 1)[0]!);
    return out;
  }
}

/** Where a client is, as `request.cf` carries it at the edge (country and its continent). */
export const PLACES: Readonly<Record<string, string>> = {
  DE: "EU",
  FR: "EU",
  GB: "EU",
  US: "NA",
  CA: "NA",
  JP: "AS",
  IN: "AS",
  BR: "SA",
  AU: "OC",
  ZA: "AF",
};
const COUNTRIES = Object.keys(PLACES);
const CONTINENTS = ["EU", "NA", "AS", "SA", "OC", "AF"];

const HOSTS = ["a.prop.test", "b.prop.test", "*.w.prop.test"];
const PREFIXES = ["/", "/api", "/api/v2", "/static"];
const REQUEST_HOSTS = ["a.prop.test", "b.prop.test", "x.w.prop.test", "y.z.w.prop.test", "none.prop.test"];
const PATHS = [
  "/",
  "/api",
  "/api/v2/cart",
  "/api/v1/users",
  "/static/logo.png",
  "/admin",
  "/apix",
  "/shop/item",
  // Spellings routing normalises: percent-encoded unreserved characters, dot segments, case.
  "/%61pi/v2/cart",
  "/static/../admin",
  "/API/v2/cart",
];
const METHODS = ["GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];
const HASH_ON = ["ip", "path", "header:x-user", "cookie:sid", "query:u"];
const SPLIT_ON = ["ip", "header:x-user", "cookie:sid"];
const RESPOND_STATUSES = [200, 403, 418, 429, 451, 503];
const REDIRECT_STATUSES = [301, 302, 307, 308] as const;

/** What the test needs to know of a pool besides its configuration. */
export interface PoolFacts {
  readonly loadBalancer: string;
  /** The same origin for the same request, whatever came before (hash, first, or one usable origin). */
  readonly fixedOrigin: boolean;
}

export interface PropertyCase {
  readonly pools: PoolInput[];
  readonly loadBalancers: LoadBalancerInput[];
  readonly facts: ReadonlyMap<string, PoolFacts>;
}

/** A request as POST /explain takes it; sent at the edge with `cf: { country, continent }`. */
export interface GeneratedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  ip?: string;
  country?: string;
}

/** A configuration for `seed`: 2 to 4 load balancers, each with its own 1 to 4 pools. */
export function generateCase(seed: number): PropertyCase {
  const pick = new Pick(seededRandom(seed));
  const pools: PoolInput[] = [];
  const loadBalancers: LoadBalancerInput[] = [];
  const facts = new Map<string, PoolFacts>();
  const routes = new Set<string>();
  const count = 2 + pick.int(3);
  for (let l = 0; l < count; l++) {
    const id = `lb${l}`;
    let hostname = pick.one(HOSTS);
    let pathPrefix = pick.one(PREFIXES);
    while (routes.has(`${hostname}${pathPrefix}`)) {
      hostname = pick.one(HOSTS);
      pathPrefix = pick.one(PREFIXES);
    }
    routes.add(`${hostname}${pathPrefix}`);
    const own = Array.from({ length: 1 + pick.int(4) }, (_, n) => `${id}-p${n}`);
    for (const pool of own) pools.push(generatePool(pick, pool, id, facts));
    const fallback = pick.chance(0.3) ? `${id}-fb` : null;
    if (fallback) pools.push(generatePool(pick, fallback, id, facts));
    loadBalancers.push({
      id,
      hostname,
      pathPrefix,
      enabled: !pick.chance(0.1),
      pools: own,
      fallbackPool: fallback,
      debugHeaders: true,
      ...generateSteering(pick, own),
      poolOverrideHeader: pick.chance(0.4) ? "x-pool" : null,
      ...(pick.chance(0.25)
        ? {
            sessionAffinity: pick.one([
              { type: "header", headerName: "x-user" },
              { type: "ip" },
              { type: "cookie" },
            ] as const),
          }
        : {}),
      rules: generateRules(pick, id, own),
    });
  }
  return { pools, loadBalancers, facts };
}

function generatePool(
  pick: Pick,
  id: string,
  loadBalancer: string,
  facts: Map<string, PoolFacts>,
): PoolInput {
  const algorithm = pick.one([
    "hash",
    "hash",
    "first",
    "round_robin",
    "round_robin",
    "random",
    "least_connections",
    "least_request",
    "least_time",
  ] as const);
  const origins: OriginInput[] = Array.from({ length: 1 + pick.int(4) }, (_, n) => ({
    name: `${id}-o${n}`,
    address: ORIGIN_PLACEHOLDER,
    ...(pick.chance(0.15) ? { enabled: false } : {}),
    ...(pick.chance(0.15) ? { backup: true } : {}),
    ...(pick.chance(0.1) ? { weight: 0 } : { weight: 1 + pick.int(3) }),
  }));
  const usable = origins.filter((origin) => origin.enabled !== false && origin.weight !== 0).length;
  facts.set(id, { loadBalancer, fixedOrigin: algorithm === "hash" || algorithm === "first" || usable === 1 });
  return {
    id,
    enabled: !pick.chance(0.15),
    // Two origins needed for the pool to count as healthy: a pool that cannot serve with one left.
    ...(origins.length > 1 && pick.chance(0.2) ? { minimumOrigins: 2 } : {}),
    algorithm,
    ...(algorithm === "hash" ? { hashOn: pick.one(HASH_ON) } : {}),
    origins,
  };
}

/** Replaced by the test's loopback origin (the generator knows no runtime). */
export const ORIGIN_PLACEHOLDER = "http://origin.invalid";

function generateSteering(pick: Pick, own: readonly string[]): Partial<LoadBalancerInput> {
  const steering = pick.one([
    "failover",
    "failover",
    "random",
    "hash",
    "hash",
    "geo",
    "least_connections",
  ] as const);
  const weights = (): Record<string, number> =>
    pick.chance(0.5) ? Object.fromEntries(own.map((pool) => [pool, pick.int(4)])) : {};
  switch (steering) {
    case "random":
      return { steering, poolWeights: weights() };
    case "hash":
      return { steering, splitOn: pick.one(SPLIT_ON), poolWeights: weights() };
    case "geo": {
      const countryPools = Object.fromEntries(
        pick.some(COUNTRIES, 0, 3).map((country) => [country, pick.some(own, 1, 2)]),
      );
      const regionPools = Object.fromEntries(
        pick.some(CONTINENTS, 0, 3).map((continent) => [continent, pick.some(own, 1, 2)]),
      );
      return { steering, countryPools, regionPools };
    }
    default:
      return { steering };
  }
}

function generateRules(
  pick: Pick,
  lb: string,
  own: readonly string[],
): NonNullable<LoadBalancerInput["rules"]> {
  const statuses = pick.some(RESPOND_STATUSES, RESPOND_STATUSES.length, RESPOND_STATUSES.length);
  return Array.from({ length: 1 + pick.int(4) }, (_, r) => {
    const name = `r${r}`;
    const kind = pick.one(["pools", "pools", "respond", "redirect"] as const);
    const then =
      kind === "pools"
        ? { pools: pick.some(own, 1, 2) }
        : kind === "respond"
          ? {
              respond: {
                status: statuses[r]!,
                body: `${lb}.${name}`,
                headers: { "x-rule": `${lb}.${name}` },
              },
            }
          : {
              redirect: {
                location: `https://moved.prop.test/${lb}.${name}`,
                status: pick.one(REDIRECT_STATUSES),
                keepPath: pick.chance(0.5),
              },
            };
    return { name, when: generateWhen(pick), then };
  });
}

const pathCondition = (pick: Pick): [string, unknown] => [
  "path",
  { regex: pick.one(["^/api/v2/", "^/admin$", "\\.png$", "^/(shop|apix)", "^/api(/|$)"]) },
];

/** Condition makers, path twice as likely as the rest (paths are where routing normalises). */
const CONDITIONS: ReadonlyArray<(pick: Pick) => [string, unknown]> = [
  pathCondition,
  pathCondition,
  (pick) => ["method", pick.some(["GET", "HEAD", "POST", "PUT", "DELETE"], 1, 2)],
  (pick) => [
    "header.x-beta",
    pick.one<unknown>(["1", { regex: "^[0-9]+$" }, { present: true }, { present: false }]),
  ],
  (pick) => ["cookie.tier", pick.one<unknown>(["gold", { regex: "^(gold|silver)$" }, { present: true }])],
  (pick) => ["query.preview", pick.one<unknown>(["on", { present: true }, { regex: "^o" }])],
  (pick) => ["country", pick.some(COUNTRIES, 1, 3)],
  (pick) => ["continent", pick.some(CONTINENTS, 1, 2)],
];

function generateWhen(pick: Pick): RuleWhen {
  const when: Record<string, unknown> = {};
  for (const condition of pick.some(CONDITIONS, 0, 2)) {
    const [key, value] = condition(pick);
    when[key] = value;
  }
  // The condition makers above give each key a value of its kind.
  return when as RuleWhen;
}

/** `count` requests for `testCase` from `seed`: most aimed at one of its load balancers, some anywhere. */
export function generateRequests(seed: number, testCase: PropertyCase, count: number): GeneratedRequest[] {
  const pick = new Pick(seededRandom(seed ^ 0x5bd1e995));
  const pools = testCase.pools.map((pool) => pool.id);
  const requests: GeneratedRequest[] = [];
  for (let i = 0; i < count; i++) {
    const query = new URLSearchParams();
    if (pick.chance(0.3)) query.set("preview", pick.one(["on", "off", "o"]));
    if (pick.chance(0.3)) query.set("u", `q${pick.int(50)}`);
    const search = query.size > 0 ? `?${query}` : "";
    const headers: Record<string, string> = {};
    if (pick.chance(0.5)) headers["x-user"] = `user-${pick.int(1000)}`;
    if (pick.chance(0.4)) headers["x-beta"] = pick.one(["1", "42", "abc", ""]);
    const cookies: string[] = [];
    if (pick.chance(0.5)) cookies.push(`sid=s${pick.int(1000)}`);
    if (pick.chance(0.4)) cookies.push(`tier=${pick.one(["gold", "silver", "bronze"])}`);
    if (cookies.length > 0) headers.cookie = cookies.join("; ");
    if (pick.chance(0.25)) headers["x-pool"] = pick.chance(0.8) ? pick.one(pools) : "no-such-pool";
    const request: GeneratedRequest = {
      url: `http://${target(pick, testCase)}${search}`,
      method: pick.one(METHODS),
      headers,
    };
    if (pick.chance(0.03)) headers["x-edge-lb-hops"] = "5";
    if (pick.chance(0.85)) {
      request.ip = pick.chance(0.9)
        ? `198.51.${pick.int(256)}.${1 + pick.int(254)}`
        : `2001:db8::${pick.int(65536).toString(16)}`;
    }
    if (pick.chance(0.8)) request.country = pick.one(COUNTRIES);
    requests.push(request);
  }
  return requests;
}

/** Host and path: three in four under a load balancer's hostname and path prefix, else anywhere. */
function target(pick: Pick, testCase: PropertyCase): string {
  if (pick.chance(0.25)) return `${pick.one(REQUEST_HOSTS)}${pick.one(PATHS)}`;
  const lb = pick.one(testCase.loadBalancers);
  const host = lb.hostname.startsWith("*.")
    ? `${pick.one(["x.", "y.z."])}${lb.hostname.slice(2)}`
    : lb.hostname;
  const prefix = lb.pathPrefix ?? "/";
  const below = PATHS.filter(
    (path) => path === prefix || path.startsWith(prefix === "/" ? "/" : `${prefix}/`),
  );
  const path = below.length > 0 ? pick.one(below) : prefix;
  return `${host}${pick.chance(0.2) ? percentEncodeOne(pick, path) : path}`;
}

/** `path` with one of its letters percent-encoded (`/api` as `/%61pi`): the same path to routing. */
function percentEncodeOne(pick: Pick, path: string): string {
  const letters = [...path].flatMap((char, i) => (/[a-z]/.test(char) ? [i] : []));
  if (letters.length === 0) return path;
  const at = pick.one(letters);
  return `${path.slice(0, at)}%${path.charCodeAt(at).toString(16).toUpperCase()}${path.slice(at + 1)}`;
}
