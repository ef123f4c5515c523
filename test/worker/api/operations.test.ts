/**
 * API.md, "Other endpoints" and pool health: events, status, the health of a pool, drain and
 * undrain, through the Worker's entry.
 */
import { describe, expect, it } from "vitest";
import { API, call, create, errorPaths, json, lbInput, poolInput, READ_TOKEN } from "./support.ts";

type Event = { timestamp: string; kind: string; subject: string; message: string };

describe("GET /events", () => {
  it("answers 100 events by default, newest first, each with timestamp, kind, subject and message", async () => {
    const one = { origins: [{ name: "a", address: "http://127.0.0.1:9001" }] };
    for (let i = 0; i < 105; i++) await create("pools", poolInput(`ev-${String(i).padStart(3, "0")}`, one));
    const { items } = await json<{ items: Event[] }>(
      await call("GET", `${API}/events`, { token: READ_TOKEN }),
    );
    expect(items).toHaveLength(100);
    for (const item of items) {
      expect(typeof item.kind).toBe("string");
      expect(typeof item.subject).toBe("string");
      expect(typeof item.message).toBe("string");
      expect(new Date(item.timestamp).toISOString()).toBe(item.timestamp);
    }
    const times = items.map((item) => Date.parse(item.timestamp));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(items[0]).toMatchObject({ kind: "config_change", subject: "pool/ev-104" });
  });

  it("honours limit from 1 to 1000 and refuses anything else with 400", async () => {
    expect((await json<{ items: Event[] }>(await call("GET", `${API}/events?limit=1`))).items).toHaveLength(
      1,
    );
    expect((await call("GET", `${API}/events?limit=1000`)).status).toBe(200);
    for (const limit of ["0", "1001", "-5", "x", "2.5", ""]) {
      expect(await errorPaths(await call("GET", `${API}/events?limit=${limit}`), limit)).toEqual(["limit"]);
    }
  });
});

describe("GET /status", () => {
  it("lists every load balancer with the pool it serves from and why", async () => {
    await create("pools", poolInput("st-pool"));
    await create("load_balancers", lbInput("st-lb", ["st-pool"]));
    await create("load_balancers", lbInput("st-off", ["st-pool"], { enabled: false }));
    const response = await call("GET", `${API}/status`, { token: READ_TOKEN });
    expect(response.status).toBe(200);
    const { items } = await json<{ items: { id: string; pool: string | null; reason: string }[] }>(response);
    const ids = items.map((item) => item.id);
    expect(ids).toEqual([...ids].sort());
    const lb = items.find((item) => item.id === "st-lb");
    expect(lb).toMatchObject({ pool: "st-pool" });
    expect(lb?.reason).toMatch(/st-pool/);
    const off = items.find((item) => item.id === "st-off");
    expect(off?.pool).toBeNull();
    expect(off?.reason).toMatch(/disabled/);
  });
});

describe("GET /pools/{id}/health", () => {
  it("answers the documented shape", async () => {
    await create("pools", poolInput("hl-pool", { origins: [{ name: "a", address: "http://127.0.0.1:1" }] }));
    const response = await call("GET", `${API}/pools/hl-pool/health`, { token: READ_TOKEN });
    expect(response.status).toBe(200);
    const health = await json<{ pool: string; healthy: boolean; healthyOrigins: number; origins: object[] }>(
      response,
    );
    expect(health).toMatchObject({ pool: "hl-pool", healthy: true, healthyOrigins: 1 });
    expect(Object.keys(health.origins[0] ?? {}).sort()).toEqual(
      [
        "name",
        "state",
        "healthy",
        "lastCheckAt",
        "lastError",
        "latencyMs",
        "consecutiveFailures",
        "inflight",
        "ejectedUntil",
      ].sort(),
    );
    expect(["healthy", "unhealthy", "unknown", "ejected", "draining", "disabled"]).toContain(
      (health.origins[0] as { state: string }).state,
    );
  });
});

describe("drain and undrain", () => {
  it("drains to weight 0, undrains to the weight before, and undrain without drain changes nothing", async () => {
    await create(
      "pools",
      poolInput("dr-pool", { origins: [{ name: "a", address: "http://127.0.0.1:1", weight: 7 }] }),
    );
    const plain = await call("POST", `${API}/pools/dr-pool/origins/a/undrain`);
    expect(plain.status).toBe(200);
    expect(await json(plain)).toMatchObject({ weight: 7, changed: false });
    const drained = await json(await call("POST", `${API}/pools/dr-pool/origins/a/drain`));
    expect(drained).toMatchObject({ weight: 0, drained: true });
    const stored = await json<{ origins: { weight: number }[] }>(await call("GET", `${API}/pools/dr-pool`));
    expect(stored.origins[0]?.weight).toBe(0);
    expect(await json(await call("POST", `${API}/pools/dr-pool/origins/a/undrain`))).toMatchObject({
      weight: 7,
    });
  });
});
