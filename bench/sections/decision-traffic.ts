/**
 * Traffic-management cost per request: a load balancer's rules (worker/routing/rules.ts) walked for
 * a request, from building the facts rules read to the verdict, with ten rules; and the sticky split
 * of `steering: "hash"` (worker/routing/hash-split.ts) over 2 and 20 pools.
 */
import { type LoadBalancer, LoadBalancerSchema } from "../../worker/config/schema.ts";
import type { Table } from "../lib/report.ts";
import { fmt } from "../lib/stats.ts";
import { type MicroOptions, nsPerOp } from "./microbench.ts";

type TrafficModules = {
  rules: typeof import("../../worker/routing/rules.ts");
  split: typeof import("../../worker/routing/hash-split.ts");
};

async function loadModules(): Promise<TrafficModules | string> {
  try {
    return {
      rules: await import("../../worker/routing/rules.ts"),
      split: await import("../../worker/routing/hash-split.ts"),
    };
  } catch (error) {
    return `not measured, worker/routing could not be loaded: ${(error as Error).message}`;
  }
}

/** Ten rules of two conditions each, of every kind: header, cookie and query values, path regexes, methods. */
function tenRules(): LoadBalancer {
  const rules = Array.from({ length: 10 }, (_, i) => {
    const kinds = [
      { "header.x-beta": String(i), path: { regex: `^/api/v${i}/` } },
      { "cookie.tier": { regex: `^(gold|silver)-${i}$` }, method: ["POST", "PUT"] },
      { "query.preview": `on-${i}`, "header.x-canary": { present: true } },
    ];
    return { name: `r${i}`, when: kinds[i % kinds.length]!, then: { pools: ["b"] } };
  });
  return {
    ...LoadBalancerSchema.parse({ id: "lb", hostname: "bench.example", pools: ["a", "b"], rules }),
    version: 1,
  };
}

/** Measures ten rules and the hash split. */
export async function measureTraffic(micro: MicroOptions): Promise<{ tables: Table[]; notes: string[] }> {
  const modules = await loadModules();
  if (typeof modules === "string") return { tables: [], notes: [`Traffic: ${modules}`] };
  const { rules, split } = modules;
  const lb = tenRules();
  const compiled = rules.compileRules(lb);
  const targets = Array.from({ length: 64 }, (_, i) => ({
    url: new URL(`https://bench.example/shop/item/${i}?id=${i}&preview=off`),
    headers: new Headers({
      cookie: `session=abc${i}; tier=bronze-${i % 7}`,
      "user-agent": "bench",
      accept: "text/html",
      "x-user": `user-${i}`,
    }),
  }));
  const last = {
    url: new URL("https://bench.example/api/v9/cart?x=1"),
    headers: new Headers({ "x-beta": "9", cookie: "tier=gold-1" }),
  };
  const facts = (target: { url: URL; headers: Headers }) => ({
    method: "GET",
    path: target.url.pathname,
    headers: target.headers,
    url: target.url,
    country: null,
    continent: null,
  });
  const noneNs = nsPerOp((i) => (rules.matchRule(compiled, facts(targets[i & 63]!)) ? 1 : 0), micro);
  const lastNs = nsPerOp((i) => (rules.matchRule(compiled, facts(last))?.index ?? i) & 1, micro);
  const compileNs = nsPerOp(() => rules.compileRules({ ...lb }).length, micro);
  const keys = targets.map((_, i) => `198.51.${i >> 8}.${i & 255}`);
  const two = split.compileSplit({}, ["stable", "canary"], { stable: 95, canary: 5 });
  const twenty = split.compileSplit(
    {},
    Array.from({ length: 20 }, (_, i) => `p${i}`),
    {},
  );
  const twoNs = nsPerOp((i) => split.splitIndex(two, keys[i & 63]!), micro);
  const twentyNs = nsPerOp((i) => split.splitIndex(twenty, keys[i & 63]!), micro);
  return {
    tables: [
      {
        caption: "traffic management: ns per request",
        columns: ["decision", "ns per request"],
        rows: [
          ["10 rules, none matches (every condition kind; cookies and query read)", fmt(noneNs)],
          ["10 rules, the last one matches", fmt(lastNs)],
          ["compiling 10 rules (once per configuration version)", fmt(compileNs)],
          ["hash split, 2 pools (5/95)", fmt(twoNs)],
          ["hash split, 20 pools", fmt(twentyNs)],
        ],
      },
    ],
    notes: [
      "Rules: each request builds the facts rules read and walks the compiled rules until one matches; " +
        "regular expressions are compiled once per configuration version, never per request.",
    ],
  };
}
