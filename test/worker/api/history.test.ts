import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { API, call, createLoadBalancer, createPool, json, READ_TOKEN } from "./support.ts";

interface VersionList {
  items: { version: number; at: string; role: string; summary: string }[];
}

/** The configuration document without any `version` member. */
function withoutVersions(document: Record<string, unknown>): unknown {
  return JSON.parse(JSON.stringify(document), (key, value) => (key === "version" ? undefined : value));
}

async function currentConfig(): Promise<Record<string, unknown>> {
  return json(await call("GET", `${API}/config`));
}

describe("configuration history", () => {
  it("keeps the whole document after every change, through any endpoint, newest first", async () => {
    await createPool("hist-a");
    const afterCreate = await currentConfig();
    await createLoadBalancer("hist-lb", ["hist-a"]);
    await call("PATCH", `${API}/pools/hist-a`, { body: { description: "patched" } });
    const afterPatch = await currentConfig();

    const list = await json<VersionList>(await call("GET", `${API}/config/versions?limit=3`));
    expect(list.items.map((item) => item.version)).toEqual([
      afterPatch.version,
      (afterPatch.version as number) - 1,
      afterCreate.version,
    ]);
    expect(list.items[0]).toMatchObject({ role: "admin", summary: 'pool "hist-a": changed description' });
    expect(list.items[1]?.summary).toContain('load balancer "hist-lb": created');
    expect(Date.parse(list.items[0]?.at ?? "")).not.toBeNaN();

    const old = await call("GET", `${API}/config/versions/${afterCreate.version}`);
    expect(old.status).toBe(200);
    expect(await old.json()).toEqual(afterCreate);
    const now = await call("GET", `${API}/config/versions/${afterPatch.version}`, { token: READ_TOKEN });
    expect(await now.json()).toEqual(afterPatch);
  });

  it("answers 404 for a version it does not keep and 400 for a bad limit", async () => {
    expect((await call("GET", `${API}/config/versions/999999`)).status).toBe(404);
    expect((await call("GET", `${API}/config/versions/abc`)).status).toBe(404);
    expect((await call("GET", `${API}/config/versions?limit=0`)).status).toBe(400);
  });

  it("rolls back to an earlier document as a new version, byte for byte but for versions", async () => {
    await createPool("roll-a", { description: "first" });
    const target = await currentConfig();
    await call("PATCH", `${API}/pools/roll-a`, { body: { description: "second", algorithm: "random" } });
    await createPool("roll-b");
    const before = await currentConfig();

    const dry = await call("POST", `${API}/config/rollback?dryRun=true`, {
      body: { version: target.version },
    });
    expect(dry.status).toBe(200);
    expect(await dry.json()).toMatchObject({
      dryRun: true,
      version: before.version,
      rolledBackTo: target.version,
      changes: { pools: { created: [], updated: ["roll-a"], deleted: expect.arrayContaining(["roll-b"]) } },
    });
    expect(await currentConfig()).toEqual(before);

    const stale = await call("POST", `${API}/config/rollback`, {
      body: { version: target.version },
      headers: { "if-match": `"${target.version}"` },
    });
    expect(stale.status).toBe(412);
    expect(await currentConfig()).toEqual(before);

    const done = await call("POST", `${API}/config/rollback`, {
      body: { version: target.version },
      headers: { "if-match": `"${before.version}"` },
    });
    expect(done.status).toBe(200);
    const body = await json(done);
    expect(body.version).toBe((before.version as number) + 1);
    expect(done.headers.get("etag")).toBe(`"${body.version}"`);
    const after = await currentConfig();
    expect(JSON.stringify(withoutVersions(after))).toBe(JSON.stringify(withoutVersions(target)));
    const [newest] = (await json<VersionList>(await call("GET", `${API}/config/versions?limit=1`))).items;
    expect(newest?.summary).toMatch(new RegExp(`^rollback to version ${target.version}: `));
  });

  it("refuses a rollback from the read token, with a bad body or to a version not kept, changing nothing", async () => {
    await createPool("roll-refused");
    const before = await currentConfig();
    const cases: [Record<string, unknown>, string | undefined, number][] = [
      [{ version: before.version }, READ_TOKEN, 403],
      [{ version: "1" }, undefined, 400],
      [{ version: 1, extra: true }, undefined, 400],
      [{ version: 999999 }, undefined, 404],
    ];
    for (const [body, token, status] of cases) {
      const response = await call("POST", `${API}/config/rollback`, { body, ...(token ? { token } : {}) });
      expect(response.status).toBe(status);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
    }
    expect((await call("POST", `${API}/config/rollback?dryrun=true`, { body: { version: 1 } })).status).toBe(
      400,
    );
    expect(await currentConfig()).toEqual(before);
  });

  it("answers the dashboard's role probe (a dry-run rollback to version 0): 400 admin, 403 read, no change", async () => {
    const before = await currentConfig();
    const probe = (token?: string) =>
      call("POST", `${API}/config/rollback?dryRun=true`, {
        body: { version: 0 },
        ...(token ? { token } : {}),
      });
    expect((await probe()).status).toBe(400);
    expect((await probe(READ_TOKEN)).status).toBe(403);
    expect(await currentConfig()).toEqual(before);
  });

  it("refuses a rollback to a document that is no longer valid, like any invalid document", async () => {
    await createPool("roll-valid");
    const before = await currentConfig();
    // A kept document whose load balancer names a pool that is not in it (as if written under
    // rules that have since become stricter).
    const broken = {
      version: 999_000,
      pools: [],
      loadBalancers: [{ id: "orphan", hostname: "orphan.example.com", pools: ["gone"] }],
    };
    await runInDurableObject(env.CONFIG_STORE.getByName("global"), (_instance, state) => {
      state.storage.sql.exec(
        `INSERT INTO config_versions (version, at, role, summary, document, event_id, forwarded)
         VALUES (999000, 0, 'admin', 'test', ?, 'test-broken', 1)`,
        JSON.stringify(broken),
      );
    });
    const response = await call("POST", `${API}/config/rollback`, { body: { version: 999_000 } });
    expect(response.status).toBe(400);
    const problem = await json<{ errors: { path: string }[] }>(response);
    expect(problem.errors.map((error) => error.path)).toContain("loadBalancers[0].pools[0]");
    expect(await currentConfig()).toEqual(before);
    await runInDurableObject(env.CONFIG_STORE.getByName("global"), (_instance, state) => {
      state.storage.sql.exec("DELETE FROM config_versions WHERE version = 999000");
    });
  });

  it("keeps the newest 100 versions however many changes are made", async () => {
    await createPool("hist-many");
    for (let i = 0; i < 105; i++) {
      const response = await call("PATCH", `${API}/pools/hist-many`, { body: { description: `n${i}` } });
      expect(response.status).toBe(200);
    }
    const current = (await currentConfig()).version as number;
    const list = await json<VersionList>(await call("GET", `${API}/config/versions?limit=1000`));
    expect(list.items.length).toBeGreaterThanOrEqual(100);
    expect(list.items.length).toBeLessThanOrEqual(101);
    expect(list.items[0]?.version).toBe(current);
    expect(list.items[99]?.version).toBe(current - 99);
    expect((await call("GET", `${API}/config/versions/${current - 99}`)).status).toBe(200);
  });
});

describe("the OpenAPI document", () => {
  it("describes history, rollback, notifications and the candidate form of explain", async () => {
    const doc = await json<{
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties?: Record<string, { description?: string }> }> };
    }>(await call("GET", "/__lb/openapi.json", { token: null }));
    const expected: [string, string[]][] = [
      ["/__lb/api/v1/config/versions", ["get"]],
      ["/__lb/api/v1/config/versions/{version}", ["get"]],
      ["/__lb/api/v1/config/rollback", ["post"]],
      ["/__lb/api/v1/notifications", ["get", "post"]],
      ["/__lb/api/v1/notifications/{id}", ["get", "put", "patch", "delete"]],
      ["/__lb/api/v1/notifications/{id}/deliveries", ["get"]],
      ["/__lb/api/v1/notifications/{id}/test", ["post"]],
      ["/__lb/api/v1/explain", ["get", "post"]],
    ];
    for (const [path, methods] of expected) {
      for (const method of methods) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    const notification = doc.components.schemas.Notification?.properties ?? {};
    for (const field of ["url", "events", "format", "secret", "enabled"]) {
      expect(notification[field]?.description, field).toBeTruthy();
    }
    expect(doc.components.schemas.Impact).toBeDefined();
  });
});
