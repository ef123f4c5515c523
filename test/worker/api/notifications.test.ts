import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { API, call, createPool, json, READ_TOKEN } from "./support.ts";
import { received, waitFor } from "./webhooks.ts";

const ORIGIN = `http://127.0.0.1:${inject("probeOriginPort")}`;
const SECRET = "s3cret-s3cret-s3cret";

async function hmac(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return `sha256=${[...mac].map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

async function createNotification(body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await call("POST", `${API}/notifications`, { body });
  if (response.status !== 201) throw new Error(`${response.status} ${await response.text()}`);
  return json(response);
}

describe("notifications", () => {
  it("stores a webhook with defaults and never shows its secret", async () => {
    const created = await createNotification({ id: "ops", url: `${ORIGIN}/hook/ops`, secret: SECRET });
    expect(created).toEqual({
      id: "ops",
      url: `${ORIGIN}/hook/ops`,
      events: [],
      format: "json",
      secret: "<redacted>",
      enabled: true,
      version: 1,
    });
    const asAdmin = await json(await call("GET", `${API}/notifications/ops`));
    expect(asAdmin.secret).toBe("<redacted>");
    const asReader = await call("GET", `${API}/notifications`, { token: READ_TOKEN });
    const text = await asReader.text();
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain("/hook/ops");
    const patched = await json(
      await call("PATCH", `${API}/notifications/ops`, {
        body: { enabled: false },
        headers: { "if-match": '"1"' },
      }),
    );
    expect(patched).toMatchObject({ enabled: false, secret: "<redacted>", version: 2 });
    const raw = await env.NOTIFIER.getByName("global").get("ops");
    expect(raw).toMatchObject({ ok: true, resource: { secret: SECRET } });
  });

  it("refuses bad notifications with a problem and stores nothing", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ id: "bad", url: "http://hooks.example.com/x" }, "url"],
      [{ id: "bad", url: "ftp://127.0.0.1/x" }, "url"],
      [{ id: "bad", url: `${ORIGIN}/hook/bad`, events: ["origin_down"] }, "events[0]"],
      [{ id: "bad", url: `${ORIGIN}/hook/bad`, format: "xml" }, "format"],
      [{ id: "bad", url: `${ORIGIN}/hook/bad`, secret: "<redacted>" }, "secret"],
      [{ id: "bad", url: `${ORIGIN}/hook/bad`, extra: 1 }, "extra"],
    ];
    for (const [body, path] of cases) {
      const response = await call("POST", `${API}/notifications`, { body });
      expect(response.status).toBe(400);
      const problem = await json<{ errors: { path: string }[] }>(response);
      expect(problem.errors.map((error) => error.path)).toContain(path);
    }
    const reader = await call("POST", `${API}/notifications`, {
      token: READ_TOKEN,
      body: { id: "bad", url: "https://hooks.example.com/x" },
    });
    expect(reader.status).toBe(403);
    expect((await call("GET", `${API}/notifications/bad`)).status).toBe(404);
  });

  it("sends a signed test event at once and lists the attempt", async () => {
    await createNotification({ id: "tester", url: `${ORIGIN}/hook/tester`, secret: SECRET });
    const response = await call("POST", `${API}/notifications/tester/test`);
    expect(response.status).toBe(200);
    const result = await json(response);
    expect(result).toMatchObject({ delivered: true, status: 200, error: null });
    const [delivery] = await received("tester");
    const event = JSON.parse(delivery?.body ?? "{}");
    expect(event).toMatchObject({ id: result.eventId, type: "test" });
    expect(delivery?.headers["x-edge-lb-signature"]).toBe(await hmac(SECRET, delivery?.body ?? ""));
    expect(delivery?.headers["content-type"]).toBe("application/json");
    const deliveries = await json<{ items: Record<string, unknown>[] }>(
      await call("GET", `${API}/notifications/tester/deliveries`, { token: READ_TOKEN }),
    );
    expect(deliveries.items[0]).toMatchObject({ eventId: result.eventId, type: "test", status: 200 });
  });

  it("delivers a health transition once, with the failover it causes, however often it is handed over", async () => {
    await createNotification({
      id: "health",
      url: `${ORIGIN}/hook/health`,
      events: ["pool_unhealthy", "failover"],
      format: "json",
    });
    await createPool("notify-bad", { origins: [{ name: "a", address: "http://127.0.0.1:1" }] });
    await createPool("notify-good", { origins: [{ name: "a", address: ORIGIN }] });
    await call("POST", `${API}/load_balancers`, {
      body: { id: "notify-lb", hostname: "notify.example.com", pools: ["notify-bad", "notify-good"] },
    });
    const event = {
      id: "notify-bad-transition-1",
      type: "pool_unhealthy",
      at: new Date().toISOString(),
      pool: "notify-bad",
      message: "pool notify-bad is unhealthy",
    };
    const notifier = env.NOTIFIER.getByName("global");
    await notifier.emit([event]);
    await notifier.emit([event]);
    const got = await waitFor(
      () => received("health"),
      (list) => list.length >= 2,
      "two deliveries",
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const bodies = (await received("health")).map((item) => JSON.parse(item.body));
    expect(bodies).toHaveLength(2);
    expect(got.every((item) => item.headers["x-edge-lb-signature"] === undefined)).toBe(true);
    expect(bodies).toContainEqual(event);
    expect(bodies).toContainEqual(
      expect.objectContaining({
        type: "failover",
        loadBalancer: "notify-lb",
        id: "notify-bad-transition-1/notify-lb",
        message: expect.stringContaining("from pool notify-bad to pool notify-good"),
      }),
    );
  });

  it("announces configuration changes in the slack format", async () => {
    await createNotification({
      id: "slack",
      url: `${ORIGIN}/hook/slack`,
      events: ["config_changed"],
      format: "slack",
    });
    await createPool("notify-config");
    const [first] = await waitFor(
      () => received("slack"),
      (list) => list.length >= 1,
      "a config_changed delivery",
    );
    const body = JSON.parse(first?.body ?? "{}");
    expect(Object.keys(body)).toEqual(["text"]);
    expect(body.text).toMatch(/config_changed.*pool "notify-config": created/);
    expect(first?.headers["x-edge-lb-event-type"]).toBe("config_changed");
  });

  it("keeps retrying a receiver that fails, and shows why", async () => {
    await createNotification({ id: "failing", url: `${ORIGIN}/status/503`, events: ["config_changed"] });
    await createPool("notify-retry");
    const deliveries = await waitFor(
      async () =>
        json<{ items: Record<string, unknown>[]; pending: Record<string, unknown>[] }>(
          await call("GET", `${API}/notifications/failing/deliveries`),
        ),
      (value) => value.items.length >= 1,
      "a failed attempt",
    );
    expect(deliveries.items[0]).toMatchObject({
      type: "config_changed",
      status: 503,
      outcome: "retrying",
      error: "the receiver answered 503",
    });
    expect(deliveries.pending).toContainEqual(
      expect.objectContaining({ type: "config_changed", attempts: 1 }),
    );
    const removed = await call("DELETE", `${API}/notifications/failing`);
    expect(removed.status).toBe(204);
    expect((await call("GET", `${API}/notifications/failing/deliveries`)).status).toBe(404);
  });

  it("delivers to a quick receiver while a slow one has not answered yet", async () => {
    await createNotification({ id: "slowpoke", url: `${ORIGIN}/slow`, events: ["pool_healthy"] });
    await createNotification({ id: "quick", url: `${ORIGIN}/hook/quick`, events: ["pool_healthy"] });
    const event = {
      id: "independent-1",
      type: "pool_healthy",
      at: new Date().toISOString(),
      pool: "notify-independent",
      message: "pool notify-independent is healthy",
    };
    await env.NOTIFIER.getByName("global").emit([event]);
    await waitFor(
      () => received("quick"),
      (list) => list.some((item) => JSON.parse(item.body).id === event.id),
      "the quick receiver's delivery",
    );
    const slow = await json<{ items: unknown[]; pending: { eventId: string }[] }>(
      await call("GET", `${API}/notifications/slowpoke/deliveries`),
    );
    expect(slow.items).toEqual([]);
    expect(slow.pending.map((item) => item.eventId)).toEqual([event.id]);
    const done = await waitFor(
      async () =>
        json<{ items: { eventId: string; outcome: string }[] }>(
          await call("GET", `${API}/notifications/slowpoke/deliveries`),
        ),
      (value) => value.items.length > 0,
      "the slow receiver's answer",
    );
    expect(done.items[0]).toMatchObject({ eventId: event.id, outcome: "delivered" });
  });
});
