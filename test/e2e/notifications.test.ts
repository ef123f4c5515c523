/**
 * Webhook notifications end to end: three copies of the Worker (each its own isolate) share their
 * Durable Objects and carry steady load while an origin dies. A webhook receiver on 127.0.0.1 gets
 * exactly one signed `origin_unhealthy` event, however many isolates saw the failures; and an event
 * that could not be delivered while the receiver was down arrives, with the same id, once it is up.
 */
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminClient, adminClient, expectStatus, putConfig } from "../helpers/admin-client.ts";
import { send } from "../helpers/http.ts";
import { startOrigins, stopOrigins, type TestOrigin } from "../helpers/origins.ts";
import { waitFor } from "../helpers/wait.ts";
import { checkedPool, healthOf } from "./health-support.ts";
import { type Edges, startEdges } from "./multi-edge-runtime.ts";

const SECRET = "e2e-webhook-secret-0123456789";

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
  event: { id: string; type: string; pool?: string; origin?: string; message: string };
}

interface Receiver {
  readonly url: string;
  readonly received: Delivery[];
  stop(): Promise<void>;
  restart(): Promise<void>;
}

/** A webhook receiver on a loopback port that records every POST; stop() refuses connections. */
async function startReceiver(): Promise<Receiver> {
  const received: Delivery[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      received.push({ headers: request.headers, body, event: JSON.parse(body) });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async restart() {
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    },
  };
}

let edges: Edges;
let api: AdminClient;
let origins: TestOrigin[] = [];
let receiver: Receiver;

beforeAll(async () => {
  origins = await startOrigins(["a", "b"]);
  receiver = await startReceiver();
  edges = await startEdges(3);
  api = adminClient(edges.urls[0]!, edges.adminToken);
  expectStatus(await api.post("/notifications", { id: "ops", url: receiver.url, secret: SECRET }), 201);
  await putConfig(api, {
    pools: [checkedPool("web", origins)],
    loadBalancers: [{ id: "web", hostname: "web.test", pools: ["web"] }],
  });
  await waitFor(
    async () => Object.values(await healthOf(api, "web")).every((origin) => origin.state === "healthy"),
    { what: "both origins healthy", timeoutMs: 30_000 },
  );
}, 180_000);

afterAll(async () => {
  await edges?.stop();
  await stopOrigins(origins);
  await receiver?.stop().catch(() => {});
});

/** Keeps `perEdge` clients busy on every edge until the returned stop function is called. */
function steadyLoad(perEdge: number): { stop(): Promise<number> } {
  let running = true;
  let sent = 0;
  const clients = edges.urls.flatMap((url) =>
    Array.from({ length: perEdge }, async () => {
      while (running) {
        await send(url, { host: "web.test", path: "/load" }).catch(() => null);
        sent++;
      }
    }),
  );
  return {
    async stop() {
      running = false;
      await Promise.all(clients);
      return sent;
    },
  };
}

function signatureOf(body: string): string {
  return `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
}

describe("notifications from several isolates", () => {
  it("delivers exactly one signed origin_unhealthy when an origin dies under load", async () => {
    const [a] = origins as [TestOrigin, TestOrigin];
    const load = steadyLoad(3);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await a.stop();
    await waitFor(
      async () =>
        receiver.received.some((d) => d.event.type === "origin_unhealthy" && d.event.origin === "a"),
      { what: "an origin_unhealthy delivery", timeoutMs: 30_000 },
    );
    // More load after the verdict: every isolate keeps seeing the dead origin fail or skip it.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const sent = await load.stop();
    expect(sent).toBeGreaterThan(30);

    const unhealthy = receiver.received.filter(
      (d) => d.event.type === "origin_unhealthy" && d.event.origin === "a",
    );
    expect(unhealthy).toHaveLength(1);
    const [delivery] = unhealthy as [Delivery];
    expect(delivery.event).toMatchObject({ pool: "web", origin: "a" });
    expect(delivery.headers["content-type"]).toBe("application/json");
    expect(delivery.headers["x-edge-lb-signature"]).toBe(signatureOf(delivery.body));
    expect(delivery.headers["x-edge-lb-event-id"]).toBe(delivery.event.id);
    expect(receiver.received.every((d) => d.headers["x-edge-lb-signature"] === signatureOf(d.body))).toBe(
      true,
    );
    const ids = receiver.received.map((d) => d.event.id);
    expect(new Set(ids).size).toBe(ids.length);
  }, 90_000);

  it("retries a delivery the receiver missed while down, with the same event id", async () => {
    const [a] = origins as [TestOrigin, TestOrigin];
    await receiver.stop();
    await a.restart();
    type Attempts = { items: { eventId: string; type: string; outcome: string; status: number | null }[] };
    const missed = await waitFor(
      async () => {
        const { body } = expectStatus(await api.get<Attempts>("/notifications/ops/deliveries"), 200);
        return body.items.find((item) => item.type === "origin_healthy" && item.outcome === "retrying");
      },
      { what: "a failed attempt while the receiver is down", timeoutMs: 30_000 },
    );
    expect(missed.status).toBeNull();
    await receiver.restart();
    const arrived = await waitFor(async () => receiver.received.find((d) => d.event.id === missed.eventId), {
      what: "the missed event after the receiver came back",
      timeoutMs: 60_000,
    });
    expect(arrived.event).toMatchObject({ type: "origin_healthy", origin: "a" });
    expect(arrived.headers["x-edge-lb-signature"]).toBe(signatureOf(arrived.body));
    const { body } = expectStatus(await api.get<Attempts>("/notifications/ops/deliveries"), 200);
    const attempts = body.items.filter((item) => item.eventId === missed.eventId);
    expect(attempts[0]?.outcome).toBe("delivered");
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    // The admin token never sees the secret either.
    const stored = expectStatus(await api.get<{ secret: string }>("/notifications/ops"), 200);
    expect(stored.body.secret).toBe("<redacted>");
  }, 120_000);
});
