import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { API, call, createPool, errorPaths, expectProblem, json, lbInput, poolInput } from "./support.ts";

type Resource = Record<string, unknown> & { id: string; version: number };
type Config = { version: number; pools: Resource[]; loadBalancers: Resource[] };
type Changes = Record<"pools" | "loadBalancers", Record<"created" | "updated" | "deleted", string[]>>;
type ReplaceResult = { version: number; dryRun: boolean; changes: Changes };
type AuditEntry = {
  at: string;
  action: string;
  kind: string;
  id: string;
  versionFrom: number | null;
  versionTo: number | null;
  configVersion: number;
  via: string;
  change: string;
};

async function getConfig(): Promise<{ config: Config; etag: string | null }> {
  const response = await call("GET", `${API}/config`);
  expect(response.status).toBe(200);
  return { config: await json<Config>(response), etag: response.headers.get("etag") };
}

async function putConfig(body: unknown, query = "", headers: Record<string, string> = {}): Promise<Response> {
  return call("PUT", `${API}/config${query}`, { body, headers });
}

const none = { created: [], updated: [], deleted: [] };

describe("GET and PUT /config", () => {
  it("starts empty at version 0 with its ETag", async () => {
    const { config, etag } = await getConfig();
    expect(config).toEqual({ version: 0, pools: [], loadBalancers: [] });
    expect(etag).toBe('"0"');
  });

  it("replaces the whole configuration, reports what changed and keeps unchanged versions", async () => {
    const first = await putConfig({
      pools: [poolInput("cfg-a"), poolInput("cfg-b")],
      loadBalancers: [lbInput("cfg-www", ["cfg-a"])],
    });
    expect(first.status).toBe(200);
    const firstResult = await json<ReplaceResult>(first);
    expect(firstResult.dryRun).toBe(false);
    expect(firstResult.changes).toEqual({
      pools: { created: ["cfg-a", "cfg-b"], updated: [], deleted: [] },
      loadBalancers: { created: ["cfg-www"], updated: [], deleted: [] },
    });
    expect(first.headers.get("etag")).toBe(`"${firstResult.version}"`);
    const { config: after, etag } = await getConfig();
    expect(after.version).toBe(firstResult.version);
    expect(etag).toBe(`"${firstResult.version}"`);
    const poolB = after.pools.find((pool) => pool.id === "cfg-b");

    const second = await putConfig({
      pools: [poolInput("cfg-a", { description: "changed" }), poolInput("cfg-b"), poolInput("cfg-c")],
      loadBalancers: [lbInput("cfg-www", ["cfg-a"])],
    });
    const secondResult = await json<ReplaceResult>(second);
    expect(secondResult.changes).toEqual({
      pools: { created: ["cfg-c"], updated: ["cfg-a"], deleted: [] },
      loadBalancers: none,
    });
    const { config: latest } = await getConfig();
    expect(latest.version).toBeGreaterThan(after.version);
    expect(latest.pools.find((pool) => pool.id === "cfg-b")?.version).toBe(poolB?.version);
    expect(latest.pools.map((pool) => pool.id)).toEqual(["cfg-a", "cfg-b", "cfg-c"]);
  });

  it("accepts its own GET output back unchanged (versions ignored) without a new version", async () => {
    const { config } = await getConfig();
    const response = await putConfig(config);
    expect(response.status).toBe(200);
    const result = await json<ReplaceResult>(response);
    expect(result.changes).toEqual({ pools: none, loadBalancers: none });
    expect(result.version).toBe(config.version);
  });

  it("deletes what the document leaves out", async () => {
    const { config } = await getConfig();
    const keep = config.pools.filter((pool) => pool.id !== "cfg-c");
    const response = await putConfig({ pools: keep, loadBalancers: config.loadBalancers });
    expect((await json<ReplaceResult>(response)).changes.pools.deleted).toEqual(["cfg-c"]);
    expect((await call("GET", `${API}/pools/cfg-c`)).status).toBe(404);
  });

  it("dry run reports the changes and changes nothing", async () => {
    const before = await getConfig();
    const auditBefore = await json<{ items: AuditEntry[] }>(await call("GET", `${API}/audit`));
    const response = await putConfig(
      {
        pools: [poolInput("cfg-a", { description: "again" }), poolInput("cfg-new")],
        loadBalancers: [],
      },
      "?dryRun=true",
    );
    expect(response.status).toBe(200);
    const result = await json<ReplaceResult>(response);
    expect(result).toEqual({
      version: before.config.version,
      dryRun: true,
      changes: {
        pools: { created: ["cfg-new"], updated: ["cfg-a"], deleted: ["cfg-b"] },
        loadBalancers: { created: [], updated: [], deleted: ["cfg-www"] },
      },
    });
    expect(await getConfig()).toEqual(before);
    expect(await json(await call("GET", `${API}/audit`))).toEqual(auditBefore);
  });

  it("validates a dry run like a real one", async () => {
    const response = await putConfig({ pools: [{ id: "x" }] }, "?dryRun=true");
    expect(response.status).toBe(400);
    expect((await putConfig({}, "?dryRun=perhaps")).status).toBe(400);
  });

  it("is all or nothing: one invalid load balancer and nothing is applied", async () => {
    const before = await getConfig();
    const response = await putConfig({
      pools: [poolInput("atomic-new"), poolInput("cfg-a", { description: "would change" })],
      loadBalancers: [lbInput("atomic-ok", ["atomic-new"]), lbInput("atomic-bad", ["atomic-missing"])],
    });
    expect(response.status).toBe(400);
    const { errors } = await json<{ errors: { path: string }[] }>(response);
    expect(errors.map((error) => error.path)).toEqual(["loadBalancers[1].pools[0]"]);
    expect(await getConfig()).toEqual(before);
    expect((await call("GET", `${API}/pools/atomic-new`)).status).toBe(404);
  });

  it("reports schema errors, duplicate ids and shared routes with their paths", async () => {
    const response = await putConfig({
      pools: [poolInput("dup"), poolInput("dup"), { id: "bad", origins: [{ name: "a", address: "x" }] }],
      loadBalancers: [],
    });
    const { errors } = await json<{ errors: { path: string }[] }>(response);
    expect(errors.map((error) => error.path).sort()).toEqual(["pools[1].id", "pools[2].origins[0].address"]);

    const routes = await putConfig({
      pools: [poolInput("p")],
      loadBalancers: [
        lbInput("one", ["p"], { hostname: "same.example.com" }),
        lbInput("two", ["p"], { hostname: "same.example.com" }),
      ],
    });
    expect(routes.status).toBe(400);
    expect((await json<{ errors: { path: string }[] }>(routes)).errors.map((error) => error.path)).toEqual([
      "loadBalancers[1].pathPrefix",
    ]);
  });

  it("honours If-Match against the global version, dry run included", async () => {
    const { config } = await getConfig();
    for (const query of ["", "?dryRun=true"]) {
      const stale = await putConfig({ pools: [] }, query, { "if-match": `"${config.version - 1}"` });
      await expectProblem(stale, 412, query);
      expect(await getConfig()).toMatchObject({ config });
    }
    const fresh = await putConfig(
      {
        pools: config.pools,
        loadBalancers: [...config.loadBalancers, lbInput("if-match-lb", ["cfg-a"])],
      },
      "",
      { "if-match": `W/"${config.version}"` },
    );
    expect(fresh.status).toBe(200);
    expect((await json<ReplaceResult>(fresh)).changes.loadBalancers.created).toEqual(["if-match-lb"]);
  });

  it("tells the pools' PoolState about created and deleted pools", async () => {
    await putConfig({ pools: [poolInput("notified")], loadBalancers: [] });
    expect(await env.POOL_STATE.getByName("notified").health()).not.toBeNull();
    expect(await env.CONFIG_STORE.getByName("global").pendingNotifications()).toEqual([]);
    await putConfig({ pools: [], loadBalancers: [] });
    expect(await env.POOL_STATE.getByName("notified").health()).toBeNull();
  });

  it("refuses an unknown query parameter instead of applying (a misspelt dryRun)", async () => {
    const before = await (await call("GET", `${API}/config`)).text();
    for (const query of ["?dryrun=true", "?dry_run=1", "?dryRun=true&force=1"]) {
      const response = await call("PUT", `${API}/config${query}`, { body: { pools: [], loadBalancers: [] } });
      expect((await errorPaths(response, query)).length, query).toBe(1);
    }
    expect(await (await call("GET", `${API}/config`)).text()).toBe(before);
  });
});

describe("audit and events", () => {
  it("records every change in the audit log, newest first", async () => {
    const pool = await createPool("audited");
    await call("PATCH", `${API}/pools/audited`, {
      body: { origins: [{ name: "a", address: "http://127.0.0.1:1", weight: 0 }] },
    });
    await call("PUT", `${API}/pools/audited`, { body: poolInput("audited", { enabled: false }) });
    await call("DELETE", `${API}/pools/audited`);
    const { items } = await json<{ items: AuditEntry[] }>(await call("GET", `${API}/audit?limit=4`));
    expect(items).toHaveLength(4);
    expect(items.map((entry) => [entry.action, entry.kind, entry.id, entry.via])).toEqual([
      ["delete", "pool", "audited", "resource"],
      ["replace", "pool", "audited", "resource"],
      ["update", "pool", "audited", "resource"],
      ["create", "pool", "audited", "resource"],
    ]);
    const [deleted, replaced, updated, created] = items as [AuditEntry, AuditEntry, AuditEntry, AuditEntry];
    expect(created).toMatchObject({ versionFrom: null, versionTo: pool.version });
    expect(updated.versionFrom).toBe(pool.version);
    expect(updated.change).toContain("origins");
    expect(replaced.change).toContain("enabled");
    expect(deleted).toMatchObject({ versionFrom: replaced.versionTo, versionTo: null });
    expect(Date.parse(created.at)).not.toBeNaN();
    expect(deleted.configVersion).toBeGreaterThan(created.configVersion);
  });

  it("marks changes made through PUT /config", async () => {
    const { config } = await getConfig();
    await putConfig({ ...config, pools: [...config.pools, poolInput("via-config")] });
    const { items } = await json<{ items: AuditEntry[] }>(await call("GET", `${API}/audit?limit=1`));
    expect(items[0]).toMatchObject({ action: "create", id: "via-config", via: "config" });
  });

  it("serves config changes as events, newest first, with ISO timestamps", async () => {
    await createPool("evented");
    const response = await call("GET", `${API}/events?limit=2`);
    expect(response.status).toBe(200);
    const { items } = await json<{ items: { at: string; kind: string; subject: string; message: string }[] }>(
      response,
    );
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({ kind: "config_change", subject: "pool/evented" });
    expect(items[0]?.message).toContain("evented");
    expect(new Date(items[0]?.at ?? "").toISOString()).toBe(items[0]?.at);
    expect(Date.parse(items[0]?.at ?? "")).toBeGreaterThanOrEqual(Date.parse(items[1]?.at ?? ""));
  });

  it("merges the events of every pool's PoolState with the configuration changes", async () => {
    await createPool("merged-events");
    await call("PATCH", `${API}/pools/merged-events`, { body: { enabled: false } });
    const own = await env.POOL_STATE.getByName("merged-events").events(10);
    expect(own.length).toBeGreaterThan(0);
    const { items } = await json<{ items: { at: string; kind: string; subject: string; message: string }[] }>(
      await call("GET", `${API}/events?limit=1000`),
    );
    for (const event of own) {
      expect(items).toContainEqual({
        timestamp: new Date(event.at).toISOString(),
        at: new Date(event.at).toISOString(),
        kind: event.kind,
        subject: event.subject,
        message: event.message,
      });
    }
    expect(items).toContainEqual(
      expect.objectContaining({ kind: "config_change", subject: "pool/merged-events" }),
    );
    const times = items.map((item) => Date.parse(item.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it("checks the limit parameter", async () => {
    for (const limit of ["0", "-1", "abc", "1.5", "1001", "99999999999"]) {
      for (const path of ["audit", "events"]) {
        const response = await call("GET", `${API}/${path}?limit=${limit}`);
        expect(response.status, `${path}?limit=${limit}`).toBe(400);
      }
    }
    expect((await call("GET", `${API}/audit?limit=1000`)).status).toBe(200);
  });
});
