/**
 * `POST /explain` marks each pool and origin as GET /explain does (fixed or draw), now and under
 * the candidate, and its summary tells the changes that are draws on both sides (`drawn`) from the
 * rest: a batch mixing a hash pool, a round-robin pool, a weighted random pool and random steering.
 */
import { describe, expect, it } from "vitest";
import type { LoadBalancerInput, PoolInput } from "../../../../worker/config/schema.ts";
import { installConfig, ORIGIN } from "../../proxy/support.ts";
import { API, call, json, READ_TOKEN } from "../support.ts";
import { explain } from "./support.ts";

type Mark = "fixed" | "draw" | null;
interface Side {
  loadBalancer: string | null;
  pool: string | null;
  origin: string | null;
  decided: { pool: Mark; origin: Mark };
}
interface Item {
  request: { url: string };
  now: Side;
  candidate: Side;
  changed: { loadBalancer: boolean; pool: boolean; origin: boolean };
}
type Moved = { count: number; share: number };
interface Impact {
  items: Item[];
  summary: {
    requests: number;
    changed: Record<"loadBalancer" | "pool" | "origin", Moved>;
    drawn: Record<"pool" | "origin", Moved>;
  };
}
interface Sample {
  url: string;
  headers?: Record<string, string>;
}

const originsOf = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({ name: `${prefix}${i + 1}`, address: ORIGIN }));

const pools: PoolInput[] = [
  { id: "dr-hash", algorithm: "hash", hashOn: "header:x-user", origins: originsOf("h", 3) },
  { id: "dr-rr", algorithm: "round_robin", origins: originsOf("r", 3) },
  { id: "dr-rand", algorithm: "random", origins: originsOf("d", 3) },
  { id: "dr-s1", origins: originsOf("s1-", 1) },
  { id: "dr-s2", origins: originsOf("s2-", 1) },
];
const steer = (weights: Record<string, number>): LoadBalancerInput => ({
  id: "dr-steer",
  hostname: "steer.draws.test",
  pools: ["dr-s1", "dr-s2"],
  steering: "random",
  poolWeights: weights,
});
const loadBalancers: LoadBalancerInput[] = [
  { id: "dr-h", hostname: "hash.draws.test", pools: ["dr-hash"] },
  { id: "dr-r", hostname: "rr.draws.test", pools: ["dr-rr"] },
  { id: "dr-d", hostname: "rand.draws.test", pools: ["dr-rand"] },
  steer({ "dr-s1": 9, "dr-s2": 1 }),
];

const sample: Sample[] = [
  ...Array.from({ length: 12 }, (_, i) => ({
    url: `http://hash.draws.test/${i}`,
    headers: { "x-user": `user-${i}` },
  })),
  ...Array.from({ length: 6 }, (_, i) => ({ url: `http://rr.draws.test/${i}` })),
  ...Array.from({ length: 20 }, (_, i) => ({ url: `http://rand.draws.test/${i}` })),
  ...Array.from({ length: 30 }, (_, i) => ({ url: `http://steer.draws.test/${i}` })),
];

async function impact(body: unknown): Promise<Impact> {
  const response = await call("POST", `${API}/explain`, { body, token: READ_TOKEN });
  if (response.status !== 200) throw new Error(`${response.status} ${await response.text()}`);
  return json<Impact>(response);
}

/** What GET /explain marks the pool and origin of `request` with, on the installed configuration. */
async function marksOf(request: Sample): Promise<{ pool: Mark; origin: Mark }> {
  const one = await explain(request.url, { headers: request.headers ?? {} });
  return { pool: (one.pool?.decided ?? null) as Mark, origin: (one.origin?.decided ?? null) as Mark };
}

const byHost = (items: Item[], host: string) =>
  items.filter((item) => new URL(item.request.url).host === host);

describe("POST /explain marks fixed and drawn pools and origins", () => {
  it("marks each request as GET /explain does, and nothing moves without a candidate", async () => {
    installConfig(pools, loadBalancers);
    const result = await impact({ requests: sample });
    expect(result.items).toHaveLength(sample.length);
    for (const [i, request] of sample.entries()) {
      const item = result.items[i] as Item;
      const get = await marksOf(request);
      expect(item.now.decided, request.url).toEqual(get);
      expect(item.candidate.decided, request.url).toEqual(get);
    }
    // What GET says for each kind, so the batch does mix fixed and drawn answers.
    const hash = byHost(result.items, "hash.draws.test");
    const rand = byHost(result.items, "rand.draws.test");
    const steered = byHost(result.items, "steer.draws.test");
    expect(
      hash.every((item) => item.now.decided.pool === "fixed" && item.now.decided.origin === "fixed"),
    ).toBe(true);
    expect(rand.every((item) => item.now.decided.origin === "draw")).toBe(true);
    expect(steered.every((item) => item.now.decided.pool === "draw")).toBe(true);
    // Round robin is this instance's rotation, peeked: GET names its next origin as fixed.
    const rr = byHost(result.items, "rr.draws.test");
    expect(rr.every((item) => item.now.decided.origin === "fixed")).toBe(true);
    // A single origin is no draw, even in a drawn pool.
    expect(steered.every((item) => item.now.decided.origin === "fixed")).toBe(true);
    expect(result.summary.changed.origin.count).toBe(0);
    expect(result.summary.drawn).toEqual({ pool: { count: 0, share: 0 }, origin: { count: 0, share: 0 } });
  });

  it("counts the changes that are draws on both sides apart, within changed", async () => {
    installConfig(pools, loadBalancers);
    const candidate = {
      pools: pools.map((pool): PoolInput => {
        // h3 goes: the requests hashed to it move, for certain.
        if (pool.id === "dr-hash") return { ...pool, origins: originsOf("h", 2) };
        // d1 gets most of the weight: drawn origins move.
        if (pool.id === "dr-rand")
          return { ...pool, origins: originsOf("d", 3).map((o, i) => ({ ...o, weight: i === 0 ? 20 : 1 })) };
        return pool;
      }),
      loadBalancers: [...loadBalancers.slice(0, 3), steer({ "dr-s1": 1, "dr-s2": 9 })],
    };
    const result = await impact({ config: candidate, requests: sample });

    // Marks under the candidate are GET's once the candidate is live.
    installConfig(candidate.pools, candidate.loadBalancers);
    for (const [i, request] of sample.entries()) {
      expect((result.items[i] as Item).candidate.decided, request.url).toEqual(await marksOf(request));
    }

    const hashMoved = byHost(result.items, "hash.draws.test").filter((item) => item.changed.origin);
    const randMoved = byHost(result.items, "rand.draws.test").filter((item) => item.changed.origin);
    const steerMoved = byHost(result.items, "steer.draws.test").filter((item) => item.changed.pool);
    expect(hashMoved.length).toBeGreaterThan(0);
    expect(hashMoved.every((item) => item.now.origin === "h3")).toBe(true);
    expect(randMoved.length).toBeGreaterThan(0);
    expect(steerMoved.length).toBeGreaterThan(0);
    expect(byHost(result.items, "rr.draws.test").some((item) => item.changed.origin)).toBe(false);

    const { changed, drawn, requests } = result.summary;
    const share = (count: number) => ({ count, share: Math.round((count / requests) * 1000) / 1000 });
    // Every move is in changed, as before; drawn names the moves of draws.
    expect(changed.pool).toEqual(share(steerMoved.length));
    expect(changed.origin).toEqual(share(hashMoved.length + randMoved.length + steerMoved.length));
    expect(drawn.pool).toEqual(share(steerMoved.length));
    expect(drawn.origin).toEqual(share(randMoved.length + steerMoved.length));
    // What is left moves for certain: the requests hashed to the origin that goes.
    expect(changed.origin.count - drawn.origin.count).toBe(hashMoved.length);
  });

  it("keeps a drawn origin where it was when only the pool's decision starts drawing", async () => {
    installConfig(pools, loadBalancers);
    // Random steering with all the weight on dr-rand: the pool is now a draw that always lands on
    // dr-rand, whose origins are drawn as before.
    const candidate = {
      pools,
      loadBalancers: loadBalancers.map((lb) =>
        lb.id === "dr-d"
          ? {
              ...lb,
              pools: ["dr-rand", "dr-s1"],
              steering: "random",
              poolWeights: { "dr-rand": 1, "dr-s1": 0 },
            }
          : lb,
      ),
    };
    const rand = sample.filter((request) => new URL(request.url).host === "rand.draws.test");
    const result = await impact({ config: candidate, requests: rand });
    expect(result.items.every((item) => item.candidate.pool === "dr-rand")).toBe(true);
    expect(result.items.every((item) => item.candidate.decided.pool === "draw")).toBe(true);
    expect(result.items.every((item) => item.now.decided.pool === "fixed")).toBe(true);
    expect(new Set(result.items.map((item) => item.now.origin)).size).toBeGreaterThan(1);
    expect(result.items.filter((item) => item.changed.origin).map((item) => item.request.url)).toEqual([]);
    expect(result.summary.changed.origin).toEqual({ count: 0, share: 0 });
  });
});
