/**
 * API.md, "Other endpoints" and pool health: events, status, config, health, healthz, metrics, the
 * OpenAPI document and its page, through the Worker's entry.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  API,
  call,
  create,
  errorPaths,
  expectProblem,
  json,
  lbInput,
  poolInput,
  READ_TOKEN,
} from "./support.ts";

type Event = { timestamp: string; kind: string; subject: string; message: string };

describe("GET /events", () => {
  it("answers 100 events by default, newest first, each with timestamp, kind, subject and message", async () => {
    for (let i = 0; i < 105; i++) await create("pools", poolInput(`ev-${String(i).padStart(3, "0")}`));
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

describe("/config", () => {
  it("GET is the whole configuration; a dry run reports changes and changes nothing", async () => {
    await create("pools", poolInput("cf-pool"));
    const before = await call("GET", `${API}/config`);
    const config = await json<{ version: number; pools: { id: string }[]; loadBalancers: unknown[] }>(before);
    expect(before.headers.get("etag")).toBe(`"${config.version}"`);
    expect(config.pools.map((p) => p.id)).toContain("cf-pool");
    const dry = await call("PUT", `${API}/config?dryRun=true`, {
      body: { pools: [poolInput("cf-new")], loadBalancers: [] },
    });
    expect(dry.status).toBe(200);
    const result = await json<{
      dryRun: boolean;
      changes: { pools: { created: string[]; deleted: string[] } };
    }>(dry);
    expect(result.dryRun).toBe(true);
    expect(result.changes.pools.created).toEqual(["cf-new"]);
    expect(result.changes.pools.deleted).toContain("cf-pool");
    expect(await json(await call("GET", `${API}/config`))).toEqual(config);
  });

  it("refuses an unknown query parameter instead of applying (a misspelt dryRun)", async () => {
    const before = await (await call("GET", `${API}/config`)).text();
    for (const query of ["?dryrun=true", "?dry_run=1", "?dryRun=true&force=1"]) {
      const response = await call("PUT", `${API}/config${query}`, { body: { pools: [], loadBalancers: [] } });
      expect((await errorPaths(response, query)).length, query).toBe(1);
    }
    expect(await (await call("GET", `${API}/config`)).text()).toBe(before);
  });

  it("PUT is atomic: one bad item and nothing is applied", async () => {
    const before = await (await call("GET", `${API}/config`)).text();
    const response = await call("PUT", `${API}/config`, {
      body: { pools: [poolInput("cf-ok"), poolInput("cf-bad", { origins: [] })], loadBalancers: [] },
    });
    expect(await errorPaths(response)).toEqual(["pools[1].origins"]);
    expect(await (await call("GET", `${API}/config`)).text()).toBe(before);
  });
});

describe("healthz, metrics, OpenAPI and docs", () => {
  it("serves healthz without auth", async () => {
    const response = await SELF.fetch("http://any.example.com/__lb/healthz");
    expect(response.status).toBe(200);
  });

  it("serves metrics in Prometheus text format to the read token, 401 without a token", async () => {
    const response = await call("GET", "https://lb.example.com/__lb/metrics", { token: READ_TOKEN });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await response.text()).toMatch(/^# (HELP|TYPE) /m);
    const anonymous = await call("GET", "https://lb.example.com/__lb/metrics", { token: null });
    await expectProblem(anonymous, 401);
  });

  it("serves an OpenAPI 3.1 document whose templated paths declare their parameters", async () => {
    const response = await SELF.fetch("https://lb.example.com/__lb/openapi.json");
    expect(response.status).toBe(200);
    const doc = await json<{
      openapi: string;
      info: { title: string; version: string };
      paths: Record<
        string,
        Record<string, { parameters?: { name: string; in: string }[]; responses: object }>
      >;
    }>(response);
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.title && doc.info.version).toBeTruthy();
    const operationIds = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      for (const [method, operation] of Object.entries(item)) {
        if (method === "parameters") continue;
        expect(Object.keys(operation.responses).length, `${method} ${path}`).toBeGreaterThan(0);
        const declared = [...(operation.parameters ?? []), ...((item.parameters as unknown as []) ?? [])]
          .filter((param: { in: string }) => param.in === "path")
          .map((param: { name: string }) => param.name);
        for (const name of names) expect(declared, `${method} ${path}`).toContain(name);
        const id = (operation as { operationId?: string }).operationId;
        if (id) {
          expect(operationIds.has(id), id).toBe(false);
          operationIds.add(id);
        }
      }
    }
  });

  it("serves the docs page as HTML", async () => {
    const response = await SELF.fetch("https://lb.example.com/__lb/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
  });
});
