/**
 * Mirroring through the real runtime: copies of the configured share of requests reach an origin
 * of the mirror pool after the real request, bodies up to maxBodyBytes included; a slow or down
 * shadow never changes what the client gets or when, and mirror copies have their own metrics.
 *
 * The shadow here is a small server of this file's own that notes when each copy arrived (by its
 * X-Request-Id) and answers after a set delay, so the test can check that every client had its
 * whole response before the shadow answered that client's copy.
 */
import { createServer, type Server } from "node:http";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLoadBalancer, createPool, expectStatus, poolOf } from "../helpers/admin-client.ts";
import { send } from "../helpers/http.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import type { OriginEcho } from "../helpers/origins.ts";
import { parseExposition, sumOf } from "../helpers/prometheus.ts";
import { waitFor } from "../helpers/wait.ts";

const HOST = "mirror.test";
/** The same pool without mirroring, for the latency comparison. */
const PLAIN_HOST = "plain.mirror.test";
const SHADOW_DELAY_MS = 2000;

interface Copy {
  requestId: string;
  method: string;
  path: string;
  bodyBytes: number;
  body: string;
  mirrorHeader: string | undefined;
  arrivedAt: number;
}

interface Shadow {
  readonly url: string;
  readonly copies: Copy[];
  delayMs: number;
  close(): Promise<void>;
}

async function startShadow(): Promise<Shadow> {
  const copies: Copy[] = [];
  const shadow = { url: "", copies, delayMs: 0, close: async () => {} } as Shadow;
  const server: Server = createServer((request, response) => {
    const arrivedAt = performance.now();
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      copies.push({
        requestId: String(request.headers["x-request-id"] ?? ""),
        method: request.method ?? "",
        path: request.url ?? "",
        bodyBytes: body.length,
        body: body.toString("utf8"),
        mirrorHeader: request.headers["x-edge-lb-mirror"] as string | undefined,
        arrivedAt,
      });
      setTimeout(() => {
        if (!response.destroyed) response.end("shadow");
      }, shadow.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address !== "object") throw new Error("shadow did not listen");
  Object.assign(shadow, {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return shadow;
}

let lb: TestLoadBalancer;
let shadow: Shadow;

beforeAll(async () => {
  shadow = await startShadow();
  lb = await startLoadBalancer({ origins: ["primary"] });
  await createPool(lb.api, poolOf("primary", [lb.origin("primary")]));
  await createPool(lb.api, {
    id: "shadow",
    origins: [{ name: "shadow", address: shadow.url }],
    healthCheck: null,
  });
  await createLoadBalancer(lb.api, {
    id: "mirrored",
    hostname: HOST,
    pools: ["primary"],
    mirror: { pool: "shadow", percent: 100, methods: ["GET", "POST"], maxBodyBytes: 1024 },
  });
  await createLoadBalancer(lb.api, { id: "plain", hostname: PLAIN_HOST, pools: ["primary"] });
});

afterAll(async () => {
  await lb?.stop();
  await shadow?.close();
});

/** Sets the load balancer's mirror and waits until the edge uses it (/explain reads the same cache). */
async function setMirror(mirror: Record<string, unknown> | null): Promise<void> {
  expectStatus(await lb.api.patch("/load_balancers/mirrored", { mirror }), 200);
  const { version } = expectStatus(await lb.api.get<{ version: number }>("/config"), 200).body;
  await waitFor(
    async () => {
      const query = new URLSearchParams({ url: `https://${HOST}/` });
      const res = await lb.api.get<{ configVersion: number }>(`/explain?${query}`);
      return res.status === 200 && res.body.configVersion >= version;
    },
    { what: "the mirror setting reaching the edge" },
  );
}

async function get(
  path: string,
  host = HOST,
): Promise<{ requestId: string; doneAt: number; ms: number; origin: string }> {
  const started = performance.now();
  const res = await send(lb.url, { host, path });
  const doneAt = performance.now();
  expect(res.status).toBe(200);
  return {
    requestId: res.header("x-request-id") ?? "",
    doneAt,
    ms: doneAt - started,
    origin: res.json<OriginEcho>().origin,
  };
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * q) - 1)]!;
}

describe("mirroring", () => {
  it("copies every request of the listed methods, with bodies up to maxBodyBytes, after the real one", async () => {
    shadow.copies.length = 0;
    const primaryBefore = lb.origin("primary").count();
    for (let i = 0; i < 10; i++) expect((await get(`/get/${i}?q=${i}`)).origin).toBe("primary");
    const small = await send(lb.url, { host: HOST, path: "/small", method: "POST", body: "x".repeat(100) });
    expect(small.status).toBe(200);
    const large = await send(lb.url, { host: HOST, path: "/large", method: "POST", body: "y".repeat(5000) });
    expect(large.status).toBe(200);
    expect(large.json<OriginEcho>().bodyBytes).toBe(5000);
    // Streamed bodies (no Content-Length) are measured as they are read.
    const streamedSmall = await send(lb.url, {
      host: HOST,
      path: "/streamed-small",
      method: "POST",
      body: Readable.from([Buffer.from("a".repeat(300)), Buffer.from("b".repeat(300))]),
    });
    expect(streamedSmall.json<OriginEcho>().bodyBytes).toBe(600);
    const streamedLarge = await send(lb.url, {
      host: HOST,
      path: "/streamed-large",
      method: "POST",
      body: Readable.from([Buffer.from("c".repeat(800)), Buffer.from("d".repeat(800))]),
    });
    expect(streamedLarge.json<OriginEcho>().bodyBytes).toBe(1600);
    const put = await send(lb.url, { host: HOST, path: "/put", method: "PUT", body: "z" });
    expect(put.status).toBe(200);
    await get("/last");
    // Copies are sent after the real requests, in order; /large and /streamed-large are never copied.
    await waitFor(
      async () => shadow.copies.length >= 13 && shadow.copies.some((copy) => copy.path === "/last"),
      { what: "the copies up to the last one" },
    );
    expect(lb.origin("primary").count() - primaryBefore).toBe(16);
    const paths = shadow.copies.map((copy) => copy.path).sort();
    expect(paths).toEqual(
      [
        ...Array.from({ length: 10 }, (_, i) => `/get/${i}?q=${i}`),
        "/last",
        "/small",
        "/streamed-small",
      ].sort(),
    );
    const copy = shadow.copies.find((c) => c.path === "/small")!;
    expect(copy).toMatchObject({ method: "POST", bodyBytes: 100, body: "x".repeat(100), mirrorHeader: "1" });
    const streamed = shadow.copies.find((c) => c.path === "/streamed-small")!;
    expect(streamed.body).toBe(`${"a".repeat(300)}${"b".repeat(300)}`);
  });

  it("copies the configured share", async ({ annotate }) => {
    await setMirror({ pool: "shadow", percent: 30, methods: ["GET"] });
    shadow.copies.length = 0;
    const sent = new Set<string>();
    for (let i = 0; i < 200; i++) sent.add((await get(`/share/${i}`)).requestId);
    await setMirror({ pool: "shadow", percent: 100, methods: ["GET"] });
    await get("/share-marker");
    await waitFor(async () => shadow.copies.some((copy) => copy.path === "/share-marker"), {
      what: "the marker copy",
    });
    const copied = shadow.copies.filter((copy) => sent.has(copy.requestId)).length;
    await annotate(`percent 30: ${copied} of 200 requests copied`);
    // Binomial(200, 0.3): mean 60, standard deviation about 6.5.
    expect(copied).toBeGreaterThanOrEqual(30);
    expect(copied).toBeLessThanOrEqual(90);
  });

  it("a shadow that answers in 2 s never makes a client wait", async ({ annotate }) => {
    const ROUNDS = 200;
    await setMirror({ pool: "shadow", percent: 100, methods: ["GET"] });
    shadow.delayMs = SHADOW_DELAY_MS;
    shadow.copies.length = 0;
    // Requests alternate between the same pool without and with mirroring (which goes first swaps
    // every round), so both see the same machine at the same moments.
    const baseline: number[] = [];
    const mirrored: { requestId: string; doneAt: number; ms: number }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      if (i % 2 === 0) baseline.push((await get(`/base/${i}`, PLAIN_HOST)).ms);
      mirrored.push(await get(`/slow/${i}`));
      if (i % 2 === 1) baseline.push((await get(`/base/${i}`, PLAIN_HOST)).ms);
    }
    await waitFor(async () => shadow.copies.length >= ROUNDS, { what: "every copy at the shadow" });
    const before = percentile(baseline, 0.99);
    const after = percentile(
      mirrored.map((m) => m.ms),
      0.99,
    );
    const medians = `median ${percentile(baseline, 0.5).toFixed(1)} ms / ${percentile(
      mirrored.map((m) => m.ms),
      0.5,
    ).toFixed(1)} ms`;
    const line = `client p99 without mirroring ${before.toFixed(1)} ms, with a 2 s shadow ${after.toFixed(1)} ms (${((after / before - 1) * 100).toFixed(1)} %); ${medians}`;
    console.log(line);
    await annotate(line);
    const arrived = new Map(shadow.copies.map((copy) => [copy.requestId, copy.arrivedAt]));
    for (const request of mirrored) {
      const copyArrived = arrived.get(request.requestId);
      expect(copyArrived, `copy of ${request.requestId}`).toBeDefined();
      // The shadow answers SHADOW_DELAY_MS after a copy arrives: the client was done before that.
      expect(request.doneAt).toBeLessThan(copyArrived! + SHADOW_DELAY_MS);
    }
    shadow.delayMs = 0;
  }, 180_000);

  it("a down shadow changes nothing for clients and counts in the mirror's own metrics only", async () => {
    await shadow.close();
    for (let i = 0; i < 10; i++) expect((await get(`/down/${i}`)).origin).toBe("primary");
    await waitFor(
      async () => {
        const res = await send(lb.url, {
          path: "/__lb/metrics",
          headers: { authorization: `Bearer ${lb.readToken}` },
        });
        if (res.status !== 200) return false;
        const metrics = parseExposition(res.text());
        return (
          sumOf(metrics, "edge_lb_mirror_requests_total", { pool: "shadow", outcome: "connect" }) >= 10 &&
          metrics
        );
      },
      { what: "mirror failures in /__lb/metrics" },
    ).then((metrics) => {
      expect(sumOf(metrics, "edge_lb_errors_total", { pool: "primary" })).toBe(0);
      expect(sumOf(metrics, "edge_lb_errors_total", { pool: "shadow" })).toBe(0);
      expect(sumOf(metrics, "edge_lb_attempts_total", { pool: "shadow" })).toBe(0);
    });
    const health = expectStatus(
      await lb.api.get<{ origins: { name: string; state: string }[] }>("/pools/primary/health"),
      200,
    ).body;
    expect(health.origins.find((origin) => origin.name === "primary")?.state).not.toBe("ejected");
  });
});
