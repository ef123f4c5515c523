/**
 * Several simulated locations sharing one set of Durable Objects but not their caches: four copies
 * of the Worker, each its own isolate; two of them name the same `LOCATION_CACHE` (two isolates of
 * location A), the others a cache of their own (locations B and T). Measures what the busy edges'
 * views lag behind (docs/scale.md), against the bounds it states:
 *
 * - at >= 20 requests/s per isolate: an origin that fails for everyone is out of every edge's view
 *   (its traffic and its API view) within 2 s of the first edge's ejection, a configuration change
 *   serves within 3 s, a health verdict within one snapshot interval (1.25 s, the busy read interval);
 * - at 1 request/s (location T): a configuration change serves within 30 s plus the gap between
 *   requests, and idempotent requests see no client error when an origin dies.
 *
 * What is measured is when each edge stops (or starts) sending to an origin, from the arrivals the
 * origins record and the answers the clients get; the times are printed. The bounds are asserted
 * with SLACK_MS added (the ejection's excepted: its 2 s is asserted as it stands): the client, workerd
 * and the origins share two cores with other work, and an edge is only seen to stop at its next
 * request to the origin (every ~100 ms here). The counts (requests reaching the origin, client
 * errors) are asserted exactly.
 */
import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PoolInput } from "../../worker/config/schema.ts";
import { type AdminClient, adminClient, expectStatus, poolOf, putConfig } from "../helpers/admin-client.ts";
import { send } from "../helpers/http.ts";
import { startOrigins, stopOrigins, type TestOrigin } from "../helpers/origins.ts";
import { type Edges, startEdges } from "./multi-edge-runtime.ts";

/** Requests per second each busy edge sends (the busy cadence starts at 20). */
const BUSY_RATE = 30;
/** Driving before a change, so that each busy isolate's 5 s rate window is full. */
const WARM_MS = 6000;
/** Added to each bound: a loaded shared machine and the ~100 ms between an edge's requests to one origin. */
const SLACK_MS = 1000;
const EJECTION_BOUND_MS = 2000;
const CONFIG_BOUND_MS = 3000;
const VERDICT_BOUND_MS = 1250;
const THIN_BOUND_MS = 30_000;
/** Location A: edges 0 and 1; location B: edge 2; location T (thin traffic): edge 3. */
const LOCATIONS = ["loc-a", "loc-a", "loc-b", "loc-t"];
const BUSY = [0, 1, 2];
const THIN = 3;

/** An origin that records when each edge's requests arrive and can fail them or its checks. */
interface Recorder {
  readonly name: string;
  readonly url: string;
  /** Arrivals of proxied requests (not checks): the edge's index from the path, and the time. */
  readonly arrivals: { edge: number; at: number }[];
  /** Answer 503 to every proxied request (the origin is failing for everyone). */
  failAll: boolean;
  /** Answer 500 to the health check path. */
  failChecks: boolean;
  stop(): Promise<void>;
}

async function startRecorder(name: string): Promise<Recorder> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const path = req.url ?? "/";
    let status = 200;
    if (path.startsWith("/hc")) {
      if (recorder.failChecks) status = 500;
    } else {
      const edge = Number(/^\/from-(\d+)\//.exec(path)?.[1] ?? -1);
      recorder.arrivals.push({ edge, at: Date.now() });
      if (recorder.failAll) status = 503;
    }
    res.writeHead(status, { "x-origin": name, "content-length": "2" });
    res.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const recorder: Recorder = {
    name,
    url: `http://127.0.0.1:${port}`,
    arrivals: [],
    failAll: false,
    failChecks: false,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return recorder;
}

const asOrigin = (r: Recorder) => ({ name: r.name, url: r.url }) as TestOrigin;

let edges: Edges;
let api: AdminClient;
let plain: TestOrigin[] = [];
let flaky: Recorder;
let checked: Recorder;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  plain = await startOrigins(["g1", "g2", "c1", "c2", "h1", "t1", "t2", "t3"]);
  flaky = await startRecorder("flaky");
  checked = await startRecorder("checked");
  edges = await startEdges(LOCATIONS.length, { locationCaches: LOCATIONS });
  api = adminClient(edges.urls[0]!, edges.adminToken);
  const [g1, g2, c1, , h1, t1, t2] = plain;
  const hc: PoolInput = {
    ...poolOf("hc", [h1!, asOrigin(checked)]),
    healthCheck: { path: "/hc", intervalSeconds: 1, unhealthyThreshold: 1 },
  };
  const pools = [
    poolOf("ej", [g1!, g2!, asOrigin(flaky)]),
    poolOf("cfg", [c1!]),
    hc,
    poolOf("thin", [t1!, t2!]),
  ];
  await putConfig(api, {
    pools,
    loadBalancers: pools.map((p) => ({ id: p.id, hostname: `${p.id}.test`, pools: [p.id] })),
  });
  for (const url of edges.urls) {
    for (const pool of pools) {
      await waitFor(
        async () => (await send(url, { host: `${pool.id}.test`, path: "/from-9/warm" })).status === 200,
      );
    }
  }
  // The checked origin passes its checks before anything is measured.
  await waitFor(async () => (await originHealth("hc", "checked")) === true);
}, 180_000);

afterAll(async () => {
  await edges?.stop();
  await stopOrigins(plain);
  await flaky?.stop();
  await checked?.stop();
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms:\n${edges.logs()}`);
    await sleep(100);
  }
}

async function originHealth(pool: string, origin: string): Promise<boolean | undefined> {
  const res = await api.get<{ origins: { name: string; healthy?: boolean }[] }>(`/pools/${pool}/health`);
  return expectStatus(res, 200).body.origins.find((o) => o.name === origin)?.healthy;
}

interface Answer {
  sentAt: number;
  status: number;
  origin: string;
}

/** Sends GETs through one edge at a steady rate (not waiting for answers) until stopped. */
function drive(edge: number, host: string, rate: number): { stop(): Promise<Answer[]> } {
  const url = new URL(edges.urls[edge]!);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const answers: Promise<Answer>[] = [];
  const one = (): Promise<Answer> => {
    const sentAt = Date.now();
    return new Promise((resolve) => {
      const req = request(
        { hostname: url.hostname, port: url.port, path: `/from-${edge}/r`, headers: { host }, agent },
        (res) => {
          res.resume();
          res.on("end", () =>
            resolve({ sentAt, status: res.statusCode ?? 0, origin: String(res.headers["x-origin"]) }),
          );
          res.on("error", () => resolve({ sentAt, status: 0, origin: "" }));
        },
      );
      req.on("error", () => resolve({ sentAt, status: 0, origin: "" }));
      req.end();
    });
  };
  const timer = setInterval(() => answers.push(one()), 1000 / rate);
  return {
    async stop() {
      clearInterval(timer);
      const all = await Promise.all(answers);
      agent.destroy();
      return all;
    },
  };
}

const errorsOf = (answers: readonly Answer[]) => answers.filter((a) => a.status !== 200).length;

/** An origin's state in one edge's own view (its pool snapshot, as `GET /overview` there shows it). */
async function overviewState(edge: number, pool: string, origin: string): Promise<string | undefined> {
  const client = adminClient(edges.urls[edge]!, edges.adminToken);
  type Body = { pools: { id: string; health: { origins: { name: string; state: string }[] } }[] };
  const body = expectStatus(await client.get<Body>("/overview"), 200).body;
  return body.pools.find((p) => p.id === pool)?.health.origins.find((o) => o.name === origin)?.state;
}

/** An origin's state as its PoolState reports it now. */
async function healthState(pool: string, origin: string): Promise<string | undefined> {
  const res = await api.get<{ origins: { name: string; state?: string }[] }>(`/pools/${pool}/health`);
  return expectStatus(res, 200).body.origins.find((o) => o.name === origin)?.state;
}

/** When `state()` first answered `ejected` (the answer's arrival), polled every 100 ms until `until`; null if never. */
async function firstSeen(state: () => Promise<string | undefined>, until: number): Promise<number | null> {
  while (Date.now() < until) {
    if ((await state()) === "ejected") return Date.now();
    await sleep(100);
  }
  return null;
}

describe("busy edges in two locations (>= 20 requests/s each)", () => {
  it("have an origin that fails for everyone out of every view within 2 s of the first ejection", async () => {
    const drivers = BUSY.map((i) => drive(i, "ej.test", BUSY_RATE));
    await sleep(WARM_MS);
    const failedAt = Date.now();
    flaky.failAll = true;
    // Each busy edge's own view through the API (its snapshot of the pool, GET /overview), and the
    // PoolState's (GET /pools/ej/health), polled until the bound is well past.
    const seenAt = await Promise.all([
      ...BUSY.map((i) => firstSeen(() => overviewState(i, "ej", "flaky"), failedAt + 8000)),
      firstSeen(() => healthState("ej", "flaky"), failedAt + 8000),
    ]);
    const answers = (await Promise.all(drivers.map((d) => d.stop()))).flat();
    flaky.failAll = false;
    const laterFrom = (edge: number) => flaky.arrivals.filter((a) => a.edge === edge && a.at >= failedAt);
    // Prerequisite: every edge sent the origin its share before it failed.
    for (const i of BUSY) {
      expect(flaky.arrivals.filter((a) => a.edge === i && a.at < failedAt).length).toBeGreaterThan(10);
    }
    // The first ejection: the first edge to stop sending (its last failed request's arrival).
    const stoppedAt = BUSY.map((i) => laterFrom(i).at(-1)?.at ?? failedAt);
    const firstAt = Math.min(...stoppedAt);
    const trafficLags = stoppedAt.map((at) => at - firstAt);
    const viewLags = seenAt.map((at) => (at === null ? Number.POSITIVE_INFINITY : Math.max(0, at - firstAt)));
    console.log(
      `ejection: first edge stopped ${firstAt - failedAt} ms after the origin began failing; ` +
        `edges 0, 1, 2 stopped sending ${trafficLags.join(", ")} ms after it; their API views showed ` +
        `it ejected ${viewLags.slice(0, 3).join(", ")} ms after it, the PoolState ${viewLags[3]} ms; ` +
        `failed requests that reached it per edge: ${BUSY.map((i) => laterFrom(i).length).join(", ")}`,
    );
    for (const lag of [...trafficLags, ...viewLags]) expect(lag).toBeLessThanOrEqual(EJECTION_BOUND_MS);
    // Idempotent requests: every failure was retried on another origin.
    expect(errorsOf(answers)).toBe(0);
  }, 60_000);

  it("serve a configuration change within 3 s", async () => {
    const [, , , c2] = plain;
    const drivers = BUSY.map((i) => drive(i, "cfg.test", BUSY_RATE));
    await sleep(WARM_MS);
    expectStatus(await api.put("/pools/cfg", poolOf("cfg", [c2!])), 200);
    const changedAt = Date.now();
    await sleep(CONFIG_BOUND_MS + SLACK_MS + 2000);
    const perEdge = await Promise.all(drivers.map((d) => d.stop()));
    const lags = perEdge.map((answers) => {
      const old = answers.filter((a) => a.origin === "c1");
      return Math.max(0, (old.at(-1)?.sentAt ?? changedAt) - changedAt);
    });
    console.log(`configuration change: edges 0, 1, 2 served it ${lags.join(", ")} ms after it was stored`);
    for (const [i, answers] of perEdge.entries()) {
      expect(answers.filter((a) => a.origin === "c1" && a.sentAt < changedAt).length).toBeGreaterThan(10);
      expect(answers.filter((a) => a.origin === "c2").length).toBeGreaterThan(10);
      expect(lags[i]).toBeLessThanOrEqual(CONFIG_BOUND_MS + SLACK_MS);
      expect(errorsOf(answers)).toBe(0);
    }
  }, 60_000);

  it("act on a health verdict within one snapshot interval", async () => {
    const drivers = BUSY.map((i) => drive(i, "hc.test", BUSY_RATE));
    await sleep(WARM_MS);
    const failedAt = Date.now();
    checked.failChecks = true;
    // The verdict's time as the API shows it (polled every 100 ms): at most that late.
    await waitFor(async () => (await originHealth("hc", "checked")) === false, 10_000);
    const verdictAt = Date.now();
    await sleep(VERDICT_BOUND_MS + SLACK_MS + 3000);
    const answers = (await Promise.all(drivers.map((d) => d.stop()))).flat();
    const lags = BUSY.map((i) => {
      const last = checked.arrivals.filter((a) => a.edge === i).at(-1)?.at ?? 0;
      return Math.max(0, last - verdictAt);
    });
    console.log(
      `health verdict: stored ${verdictAt - failedAt} ms after the checks began failing; ` +
        `edges 0, 1, 2 stopped ${lags.join(", ")} ms after the API showed it`,
    );
    for (const i of BUSY) {
      expect(checked.arrivals.filter((a) => a.edge === i && a.at < failedAt).length).toBeGreaterThan(10);
      expect(lags[i]).toBeLessThanOrEqual(VERDICT_BOUND_MS + SLACK_MS);
    }
    expect(errorsOf(answers)).toBe(0);
  }, 60_000);
});

describe("a thin location (1 request/s)", () => {
  it("loses no idempotent request when an origin dies, and serves a change within 30 s", async () => {
    const [, , , , , t1, t2, t3] = plain;
    const driver = drive(THIN, "thin.test", 1);
    await sleep(3000);
    await t2!.stop();
    await sleep(5000);
    expectStatus(await api.put("/pools/thin", poolOf("thin", [t1!, t3!])), 200);
    const changedAt = Date.now();
    // Until t3 answers, at most the bound plus one request gap and the slack.
    const deadline = changedAt + THIN_BOUND_MS + 1000 + SLACK_MS;
    while (Date.now() < deadline && t3!.count() === 0) await sleep(200);
    await sleep(2000);
    const answers = await driver.stop();
    const firstNew = answers.find((a) => a.origin === "t3");
    const lag = firstNew ? firstNew.sentAt - changedAt : Number.NaN;
    console.log(
      `thin location: ${answers.length} requests, ${errorsOf(answers)} errors; change served after ${lag} ms`,
    );
    expect(answers.filter((a) => a.origin === "t2").length).toBeGreaterThan(0);
    expect(errorsOf(answers)).toBe(0);
    expect(firstNew).toBeDefined();
    expect(lag).toBeLessThanOrEqual(THIN_BOUND_MS + 1000 + SLACK_MS);
  }, 90_000);
});
