/**
 * Three copies of the Worker, each its own isolate, sharing one set of Durable Objects, driven at
 * once against origins of different speeds:
 *
 * - least_connections, deciding on the shared in-flight counts, sends the slow origin far less than
 *   round robin does;
 * - the in-flight sum the PoolState holds matches the real count: exactly once the edges' reports are
 *   in, and within the stated bound while traffic churns;
 * - with warm isolates, Durable Object calls stay far below one per 100 proxied requests.
 */
import { Agent, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConfigDocumentInput, PoolInput } from "../../worker/config/schema.ts";
import { type AdminClient, adminClient, expectStatus, poolOf, putConfig } from "../helpers/admin-client.ts";
import { send } from "../helpers/http.ts";
import { startOrigin, startOrigins, stopOrigins, type TestOrigin } from "../helpers/origins.ts";
import { type Edges, startEdges } from "./multi-edge-runtime.ts";

/** The slow origin's answer time; the fast ones answer at once. */
const SLOW_MS = 400;
/** Concurrent clients per edge while driving. */
const CLIENTS_PER_EDGE = 4;
/** Requests per edge in each comparison run. */
const REQUESTS_PER_EDGE = 120;
/**
 * The bound on the PoolState's error while traffic churns, as a share of the real in-flight count on
 * average: reports are at most ~300 ms old while requests flow, so the sum trails the truth by the
 * requests that started or finished since (docs/scale.md).
 */
const MEAN_ERROR_BOUND = 0.25;

let edges: Edges;
let api: AdminClient;
let fast: TestOrigin[] = [];
let slow: TestOrigin;
let holder: TestOrigin;

beforeAll(async () => {
  fast = await startOrigins(["fast-1", "fast-2"]);
  slow = await startOrigin("slow", { delayMs: SLOW_MS });
  holder = await startOrigin("holder");
  edges = await startEdges(3);
  api = adminClient(edges.urls[0]!, edges.adminToken);
  const mixed = [...fast, slow];
  // Edges report in-flight figures only for pools that read them: round robin does not, so the
  // round-robin pools whose sums are checked give their origins a (never reached) maxConnections.
  const counted = (pool: PoolInput): PoolInput => ({
    ...pool,
    origins: pool.origins?.map((origin) => ({ ...origin, maxConnections: 100_000 })),
  });
  const config: ConfigDocumentInput = {
    pools: [
      counted(poolOf("mixed-rr", mixed)),
      poolOf("mixed-lc", mixed, { algorithm: "least_connections" }),
      counted(poolOf("held", [holder])),
      poolOf("quick", fast),
    ],
    loadBalancers: ["mixed-rr", "mixed-lc", "held", "quick"].map((id) => ({
      id,
      hostname: `${id}.test`,
      pools: [id],
    })),
  };
  await putConfig(api, config);
  // Warm every isolate: configuration and pool snapshots in place before anything is measured.
  for (const url of edges.urls) {
    for (const id of ["mixed-rr", "mixed-lc", "held", "quick"]) {
      await waitFor(async () => (await send(url, { host: `${id}.test`, path: "/warm" })).status === 200);
    }
  }
}, 180_000);

afterAll(async () => {
  await edges?.stop();
  await stopOrigins([...fast, slow, holder]);
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms:\n${edges.logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One GET through `baseUrl` with Host `host` on a keep-alive agent; resolves to the answering origin. */
function get(agent: Agent, baseUrl: string, host: string, path = "/"): Promise<string> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ hostname: url.hostname, port: url.port, path, headers: { host }, agent }, (res) => {
      res.resume();
      res.on("end", () => {
        const origin = res.headers["x-origin"];
        if (res.statusCode === 200 && typeof origin === "string") resolve(origin);
        else reject(new Error(`expected an origin's 200, got ${res.statusCode}`));
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Sends `perEdge` requests through every edge at once, `clients` at a time per edge. */
async function driveAll(host: string, perEdge: number, clients: number): Promise<string[]> {
  const answered: string[] = [];
  await Promise.all(
    edges.urls.map(async (url) => {
      const agent = new Agent({ keepAlive: true, maxSockets: clients });
      let left = perEdge;
      const client = async () => {
        while (left > 0) {
          left--;
          answered.push(await get(agent, url, host));
        }
      };
      try {
        await Promise.all(Array.from({ length: clients }, client));
      } finally {
        agent.destroy();
      }
    }),
  );
  return answered;
}

/** The in-flight count of one origin as the pool's PoolState sums it, read through the API. */
async function globalInflight(pool: string, origin: string): Promise<number> {
  const health = expectStatus(
    await api.get<{ origins: { name: string; inflight: number }[] }>(`/pools/${pool}/health`),
    200,
  );
  return health.body.origins.find((o) => o.name === origin)?.inflight ?? Number.NaN;
}

function countOf(names: readonly string[], name: string): number {
  return names.filter((n) => n === name).length;
}

describe("least_connections across three edges", () => {
  it("sends the slow origin far less traffic than round robin does", async () => {
    const roundRobin = await driveAll("mixed-rr.test", REQUESTS_PER_EDGE, CLIENTS_PER_EDGE);
    const least = await driveAll("mixed-lc.test", REQUESTS_PER_EDGE, CLIENTS_PER_EDGE);
    const total = REQUESTS_PER_EDGE * edges.urls.length;
    expect(roundRobin).toHaveLength(total);
    expect(least).toHaveLength(total);
    // Round robin gives every origin a third in each isolate, whatever the speeds.
    expect(countOf(roundRobin, "slow")).toBeGreaterThanOrEqual(total / 3 - edges.urls.length);
    // least_connections sees the slow origin holding requests (its own and, through the PoolState,
    // the other edges') and sends it less than a third of round robin's share.
    expect(countOf(least, "slow")).toBeLessThan(countOf(roundRobin, "slow") / 3);
  });
});

describe("the global in-flight sum", () => {
  it("counts exactly the requests held at an origin from all three edges, and drops them after", async () => {
    const perEdge = [3, 5, 7];
    const total = perEdge.reduce((a, b) => a + b, 0);
    holder.reset();
    const held = edges.urls.flatMap((url, i) => {
      const agent = new Agent({ keepAlive: false });
      return Array.from({ length: perEdge[i]! }, () => get(agent, url, "held.test", "/held?hold=1"));
    });
    await waitFor(async () => holder.count() === total);
    // While they are held (until released below, however slow the machine), every edge's report
    // arrives (at the latest with the 1 s heartbeat of an attempt in flight) and the sum is exact; it
    // never counts more than are really in flight.
    let seen = 0;
    try {
      await waitFor(async () => {
        seen = await globalInflight("held", "holder");
        expect(seen).toBeLessThanOrEqual(total);
        return seen === total;
      }, 8000);
    } finally {
      holder.release();
    }
    expect(seen).toBe(total);
    await Promise.all(held);
    // Finished requests leave the sum with the next report, or when the PoolState stops counting an
    // isolate that went quiet (5 s).
    await waitFor(async () => (await globalInflight("held", "holder")) === 0, 9000);
  }, 30_000);

  it("tracks the real in-flight count of a busy origin within the stated bound while traffic churns", async () => {
    // Arrivals at the slow origin over time: a request is in flight there for SLOW_MS after arriving.
    const arrivals: { at: number; count: number }[] = [];
    const recorder = setInterval(() => arrivals.push({ at: Date.now(), count: slow.count() }), 5);
    const countAt = (at: number) => {
      let count = 0;
      for (const entry of arrivals) {
        if (entry.at > at) break;
        count = entry.count;
      }
      return count;
    };
    const samples: { seen: number; real: number }[] = [];
    let driving = true;
    const sampler = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      while (driving) {
        const seen = await globalInflight("mixed-rr", "slow");
        const now = Date.now();
        if (driving) samples.push({ seen, real: countAt(now) - countAt(now - SLOW_MS) });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      await driveAll("mixed-rr.test", REQUESTS_PER_EDGE * 2, CLIENTS_PER_EDGE);
    } finally {
      driving = false;
      clearInterval(recorder);
      await sampler;
    }
    expect(samples.length).toBeGreaterThanOrEqual(10);
    const clients = CLIENTS_PER_EDGE * edges.urls.length;
    const meanReal = samples.reduce((sum, s) => sum + s.real, 0) / samples.length;
    const meanError = samples.reduce((sum, s) => sum + Math.abs(s.seen - s.real), 0) / samples.length;
    // Round robin keeps most clients waiting on the slow origin: a busy, churning count.
    expect(meanReal).toBeGreaterThan(clients / 2);
    for (const sample of samples) expect(sample.seen).toBeLessThanOrEqual(clients);
    expect(meanError).toBeLessThanOrEqual(MEAN_ERROR_BOUND * meanReal + 1);
  }, 60_000);
});

describe("Durable Object calls", () => {
  it("stay far below one per 100 proxied requests in warm isolates", async () => {
    const counters = async (url: string) =>
      (await send(url, { path: "/__lb/healthz" })).json<{
        isolate: { doCalls: number; proxiedRequests: number };
      }>().isolate;
    for (const url of edges.urls) {
      const before = await counters(url);
      const agent = new Agent({ keepAlive: true, maxSockets: 16 });
      let left = 2000;
      const client = async () => {
        while (left > 0) {
          left--;
          await get(agent, url, "quick.test");
        }
      };
      try {
        await Promise.all(Array.from({ length: 16 }, client));
      } finally {
        agent.destroy();
      }
      const after = await counters(url);
      const proxied = after.proxiedRequests - before.proxiedRequests;
      const calls = after.doCalls - before.doCalls;
      expect(proxied).toBe(2000);
      // The calls are reports and refreshes on a clock (a few per second), not per request.
      expect(calls / proxied).toBeLessThan(1 / 100);
    }
  }, 60_000);
});
