/**
 * A pool's history (`GET /pools/{id}/history`) when an origin dies under load, against the real
 * runtime and real origins: the killed origin's point for the minute of the kill carries the failed
 * attempts (the error spike), its health events fall in that minute, and every origin's request
 * count equals what that origin's server itself received.
 *
 * What the history counts: `requests` is the requests answered through an origin (the last attempt
 * of each client request), `failures` the attempts that failed there, `retries` the attempts that
 * retried a request there. The kill happens between two bursts, with nothing in flight, so an
 * attempt that reaches a live origin is answered 200 and is the last one, and an attempt to the
 * dead origin never reaches its server: each server's own count equals its `requests`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectStatus, servePool } from "../helpers/admin-client.ts";
import { send } from "../helpers/http.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import type { TestOrigin } from "../helpers/origins.ts";
import { waitFor } from "../helpers/wait.ts";
import { checkedPool, errors, healthOf, steadyLoad } from "./health-support.ts";

const MINUTE_MS = 60_000;
/** The kill, its failed attempts and their report fit in the minute when it starts this early. */
const LATEST_SECOND_OF_KILL = 25;

interface Point {
  at: string;
  requests: number;
  failures: { "5xx": number; timeout: number; connect: number };
  retries: number;
  state: string | null;
}

interface History {
  total: Point[];
  origins: { name: string; points: Point[] }[];
  events: { at: string; kind: string; origin: string | null; message: string }[];
}

let lb: TestLoadBalancer;

beforeAll(async () => {
  lb = await startLoadBalancer({ origins: ["a", "b", "c"] });
});

afterAll(async () => {
  await lb?.stop();
});

/** Client requests an origin's server received: health checks left out. */
function received(origin: TestOrigin): number {
  return origin.requests.filter((r) => !r.headers["user-agent"]?.startsWith("edge-lb-health-check")).length;
}

/** Asks the edge to send its pending reports now (a metrics scrape does). */
async function flush(): Promise<void> {
  const res = await send(lb.url, {
    path: "/__lb/metrics",
    headers: { authorization: `Bearer ${lb.readToken}` },
  });
  expect(res.status).toBe(200);
}

async function history(pool: string): Promise<History> {
  return expectStatus(await lb.api.get<History>(`/pools/${pool}/history?window=1h`), 200).body;
}

function sum(points: readonly Point[], figure: (point: Point) => number): number {
  return points.reduce((total, point) => total + figure(point), 0);
}

function pointsOf(body: History, origin: string): Point[] {
  return body.origins.find((o) => o.name === origin)?.points ?? [];
}

const minuteOf = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;
const failed = (point: Point) => point.failures["5xx"] + point.failures.timeout + point.failures.connect;

describe("history of an origin killed under load", () => {
  it("shows the error spike and the health change in the minute of the kill, with the origins' own counts", async () => {
    const [a, b, c] = lb.origins as [TestOrigin, TestOrigin, TestOrigin];
    await servePool(lb.api, "history.test", checkedPool("hist", [a, b, c]));
    await waitFor(
      async () => Object.values(await healthOf(lb.api, "hist")).every((o) => o.state === "healthy"),
      { what: "first verdicts" },
    );

    // Start the first burst early enough in a minute that the kill lands in its first half.
    const second = (Date.now() % MINUTE_MS) / 1000;
    if (second > LATEST_SECOND_OF_KILL - 10) {
      await new Promise((resolve) => setTimeout(resolve, MINUTE_MS - (Date.now() % MINUTE_MS) + 200));
    }
    const before = await steadyLoad(lb.url, "history.test", { total: 90, concurrency: 3 });
    expect(errors(before)).toEqual([]);

    const killedAt = Date.now();
    await c.stop();
    const after = await steadyLoad(lb.url, "history.test", { total: 90, concurrency: 3 });
    await flush();
    expect(errors(after)).toEqual([]);
    expect(new Date(minuteOf(Date.now())).toISOString()).toBe(new Date(minuteOf(killedAt)).toISOString());
    await waitFor(async () => (await healthOf(lb.api, "hist")).c?.state === "unhealthy", {
      timeoutMs: 20_000,
      what: "c reported unhealthy",
    });

    const servers = { a: received(a), b: received(b), c: received(c) };
    const clients = before.length + after.length;
    expect(servers.a + servers.b + servers.c).toBe(clients);

    // Counters arrive on the report clock; a scrape sends them at once, polling only bounds the wait.
    const body = await waitFor(
      async () => {
        await flush();
        const read = await history("hist");
        const counted = Object.fromEntries(
          ["a", "b", "c"].map((name) => [name, sum(pointsOf(read, name), (p) => p.requests)]),
        );
        return counted.a === servers.a && counted.b === servers.b && counted.c === servers.c && read;
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: "the history's request counts to match the origins'" },
    );

    const killMinute = new Date(minuteOf(killedAt)).toISOString();
    const cPoints = pointsOf(body, "c");
    const spike = cPoints.find((p) => p.at === killMinute);
    expect(spike).toBeDefined();
    expect(spike!.failures.connect).toBeGreaterThan(0);
    // Only c failed, and each of its failed attempts was retried and answered by a or b.
    expect(sum(pointsOf(body, "a"), failed) + sum(pointsOf(body, "b"), failed)).toBe(0);
    const retries = sum(body.total, (p) => p.retries);
    expect(retries).toBe(sum(cPoints, failed));
    expect(sum(body.total, (p) => p.requests)).toBe(clients);

    const unhealthy = body.events.filter((e) => e.origin === "c" && e.kind === "origin_unhealthy");
    expect(unhealthy.length).toBeGreaterThan(0);
    const change = unhealthy.at(-1)!;
    expect(new Date(minuteOf(Date.parse(change.at))).toISOString()).toBe(killMinute);
    expect(cPoints.at(-1)?.state).not.toBe("healthy");

    console.log(
      JSON.stringify({
        measured: "history of a kill under load",
        clients,
        servers,
        history: Object.fromEntries(
          ["a", "b", "c"].map((name) => [name, sum(pointsOf(body, name), (p) => p.requests)]),
        ),
        killMinute,
        killMinuteFailures: spike!.failures,
        retries,
        events: body.events.filter((e) => e.origin === "c").map((e) => `${e.kind}@${e.at}`),
        cStates: cPoints.map((p) => `${p.at}:${p.state}`),
      }),
    );
  }, 180_000);
});
