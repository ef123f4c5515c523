/**
 * Routing cost: matching a request's host and path to a load balancer (worker/routing/match.ts) and
 * choosing its pool (worker/routing/choose-pool.ts), over configurations of 3, 100 and 1000 load
 * balancers; plus building the per-version lookup index (worker/edge/config-index.ts).
 */
import {
  type ConfigSnapshot,
  type LoadBalancer,
  LoadBalancerSchema,
  type Pool,
  PoolSchema,
} from "../../worker/config/schema.ts";
import type { Table } from "../lib/report.ts";
import { duration, fmt } from "../lib/stats.ts";
import { type MicroOptions, nsPerOp } from "./microbench.ts";

const SIZES = [3, 100, 1000] as const;

type RoutingModules = {
  match: typeof import("../../worker/routing/match.ts");
  choose: typeof import("../../worker/routing/choose-pool.ts");
  index: typeof import("../../worker/edge/config-index.ts");
};

async function loadModules(): Promise<RoutingModules | string> {
  try {
    return {
      match: await import("../../worker/routing/match.ts"),
      choose: await import("../../worker/routing/choose-pool.ts"),
      index: await import("../../worker/edge/config-index.ts"),
    };
  } catch (error) {
    return `not measured, worker/routing could not be loaded: ${(error as Error).message}`;
  }
}

/**
 * A configuration of `count` load balancers: every tenth a wildcard, every fifth with an extra `/api`
 * entry, each with two pools in failover order.
 */
function makeSnapshot(count: number): {
  snapshot: ConfigSnapshot;
  requests: { host: string; path: string }[];
} {
  const pools: Pool[] = [];
  const loadBalancers: LoadBalancer[] = [];
  const requests: { host: string; path: string }[] = [];
  for (let i = 0; i < count; i++) {
    for (const suffix of ["a", "b"]) {
      const origins = [1, 2, 3].map((n) => ({ name: `o${n}`, address: `https://o${n}.p${i}.example.net` }));
      pools.push({ ...PoolSchema.parse({ id: `p${i}-${suffix}`, origins }), version: 1 });
    }
    const wildcard = i % 10 === 9;
    const hostname = wildcard ? `*.w${i}.bench.example` : `app-${i}.bench.example`;
    const lb = { hostname, pools: [`p${i}-a`, `p${i}-b`] };
    loadBalancers.push({ ...LoadBalancerSchema.parse({ id: `lb${i}`, ...lb }), version: 1 });
    if (i % 5 === 4) {
      loadBalancers.push({
        ...LoadBalancerSchema.parse({ id: `lb${i}-api`, ...lb, pathPrefix: "/api" }),
        version: 1,
      });
    }
    const host = wildcard ? `shop.w${i}.bench.example` : `app-${i}.bench.example`;
    requests.push({ host, path: "/index.html" }, { host: `${host.toUpperCase()}:443`, path: "/api/cart" });
  }
  return { snapshot: { version: 1, pools, loadBalancers }, requests };
}

/** Measures routing over configurations of 3, 100 and 1000 load balancers. */
export async function measureRouting(micro: MicroOptions): Promise<{ tables: Table[]; notes: string[] }> {
  const modules = await loadModules();
  if (typeof modules === "string") return { tables: [], notes: [`Routing: ${modules}`] };
  const { match, choose, index } = modules;
  const assess = () => ({ usable: true }) as const;
  const steering = { random: Math.random };
  const rows: string[][] = [];
  for (const size of SIZES) {
    const { snapshot, requests } = makeSnapshot(size);
    const mask = requests.length;
    const built = index.indexConfig(snapshot);
    const routeNs = nsPerOp((i) => {
      const request = requests[i % mask]!;
      const found = match.matchLoadBalancer(built.routes, request.host, request.path);
      if (!found) return -1;
      const choice = choose.choosePool({
        loadBalancer: found.loadBalancer,
        pools: built.pools,
        assess,
        steering,
      });
      return choice.pool ? 1 : 0;
    }, micro);
    // A shallow copy is a new snapshot object, so indexConfig cannot serve it from its cache.
    const buildNs = nsPerOp(() => index.indexConfig({ ...snapshot }).pools.size, micro);
    rows.push([String(size), `${snapshot.loadBalancers.length}`, fmt(routeNs), duration(buildNs)]);
  }
  return {
    tables: [
      {
        caption: "routing: match host + path, then choose the pool (failover steering, first pool usable)",
        columns: ["load balancers", "route entries", "ns per request", "index build per config version"],
        rows,
      },
    ],
    notes: [
      "Routing requests alternate between a plain path and an `/api/...` path, and between a bare " +
        "hostname and an upper-case `Host` with a port; every tenth load balancer is a wildcard.",
    ],
  };
}
