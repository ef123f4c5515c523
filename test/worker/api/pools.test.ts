import { describe, expect, it } from "vitest";
import { API, call, createPool, json, poolInput } from "./support.ts";

type Pool = Record<string, unknown> & { version: number; origins: Record<string, unknown>[] };

async function getPool(id: string): Promise<Pool> {
  const response = await call("GET", `${API}/pools/${id}`);
  expect(response.status).toBe(200);
  return json<Pool>(response);
}

describe("pools: create and read", () => {
  it("creates with 201, Location and ETag, and GET returns what was created", async () => {
    const response = await call("POST", `${API}/pools`, { body: poolInput("create-me") });
    expect(response.status).toBe(201);
    expect(response.headers.get("location")).toBe(`${API}/pools/create-me`);
    const pool = await json<Pool>(response);
    expect(response.headers.get("etag")).toBe(`"${pool.version}"`);
    expect(pool.version).toBeGreaterThan(0);
    // Every default, exactly: defaults.test.ts, "pool defaults".
    expect(await getPool("create-me")).toEqual(pool);
  });

  it("refuses to create an existing id with 409", async () => {
    await createPool("twice");
    const response = await call("POST", `${API}/pools`, {
      body: poolInput("twice", { description: "second" }),
    });
    expect(response.status).toBe(409);
    expect((await getPool("twice")).description).toBe("");
  });

  it("ignores a version sent by the client", async () => {
    const pool = await createPool("client-version", { version: 999 });
    expect(pool.version).not.toBe(999);
  });

  it("sends the version as ETag on GET and answers 304 to a matching If-None-Match", async () => {
    const created = await createPool("etagged");
    const response = await call("GET", `${API}/pools/etagged`);
    expect(response.headers.get("etag")).toBe(`"${created.version}"`);
    const again = await call("GET", `${API}/pools/etagged`, {
      headers: { "if-none-match": `"${created.version}"` },
    });
    expect(again.status).toBe(304);
  });

  it("answers 404 problem for an unknown id", async () => {
    const response = await call("GET", `${API}/pools/missing`);
    expect(response.status).toBe(404);
    expect((await json(response)).detail).toContain('"missing"');
  });

  it("lists every pool sorted by id", async () => {
    for (const id of ["list-c", "list-a", "list-b"]) await createPool(id);
    const { items } = await json<{ items: Pool[] }>(await call("GET", `${API}/pools`));
    const ids = items.map((pool) => pool.id as string);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(expect.arrayContaining(["list-a", "list-b", "list-c"]));
  });
});

describe("pools: validation", () => {
  it("reports each invalid field with its path", async () => {
    const response = await call("POST", `${API}/pools`, {
      body: {
        id: "bad-pool",
        origins: [
          { name: "a", address: "http://127.0.0.1:1" },
          { name: "a", address: "ftp://127.0.0.1", weight: -1 },
        ],
        healthCheck: { intervalSeconds: 1, timeoutMs: 5000 },
      },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const body = await json<{ errors: { path: string; message: string }[] }>(response);
    const paths = body.errors.map((error) => error.path);
    expect(paths).toEqual(expect.arrayContaining(["origins[1].address", "origins[1].weight"]));
    expect((await call("GET", `${API}/pools/bad-pool`)).status).toBe(404);
  });

  it("reports cross-field rules at the field they concern", async () => {
    const response = await call("POST", `${API}/pools`, {
      body: poolInput("rules", { minimumOrigins: 3, healthCheck: { intervalSeconds: 1, timeoutMs: 5000 } }),
    });
    const { errors } = await json<{ errors: { path: string }[] }>(response);
    expect(errors.map((error) => error.path).sort()).toEqual(["healthCheck.timeoutMs", "minimumOrigins"]);
  });

  it("rejects odd values without a 500", async () => {
    const cases: [unknown, string][] = [
      [poolInput("Upper"), "id"],
      [poolInput("é-unicode"), "id"],
      [poolInput("x".repeat(64)), "id"],
      [{ ...poolInput("arr"), origins: {} }, "origins"],
      [{ ...poolInput("nul"), origins: null }, "origins"],
      [{ ...poolInput("huge"), minimumOrigins: 1e308 }, "minimumOrigins"],
      [{ ...poolInput("frac"), slowStartSeconds: 1.5 }, "slowStartSeconds"],
      [
        { ...poolInput("hdr"), origins: [{ name: "a", address: "http://h", headers: { Host: "x" } }] },
        "origins[0].headers.Host",
      ],
      [{ ...poolInput("str-num"), minimumOrigins: "1" }, "minimumOrigins"],
    ];
    for (const [body, path] of cases) {
      const response = await call("POST", `${API}/pools`, { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      const { errors } = await json<{ errors: { path: string }[] }>(response);
      expect(
        errors.map((error) => error.path),
        JSON.stringify(body),
      ).toContain(path);
    }
  });

  it("treats a number too large for JSON doubles as invalid, not as a crash", async () => {
    const raw = JSON.stringify(poolInput("inf")).replace('"id":"inf"', '"id":"inf","slowStartSeconds":1e400');
    const response = await call("POST", `${API}/pools`, { raw });
    expect(response.status).toBe(400);
    const { errors } = await json<{ errors: { path: string; message: string }[] }>(response);
    expect(errors).toEqual([{ path: "slowStartSeconds", message: "must be a finite number" }]);
  });

  it("refuses a __proto__ member as an unknown field", async () => {
    const raw = JSON.stringify(poolInput("proto")).replace(
      '"id":"proto"',
      '"id":"proto","__proto__":{"enabled":false}',
    );
    const response = await call("POST", `${API}/pools`, { raw });
    expect(response.status).toBe(400);
    const { errors } = await json<{ errors: { path: string }[] }>(response);
    expect(errors.map((error) => error.path)).toEqual(["__proto__"]);
  });
});

describe("pools: replace (PUT)", () => {
  it("replaces; missing optional fields take their defaults and the version grows", async () => {
    const created = await createPool("replace-me", { algorithm: "random", description: "old" });
    const response = await call("PUT", `${API}/pools/replace-me`, {
      body: { origins: [{ name: "z", address: "http://127.0.0.1:9100" }] },
    });
    expect(response.status).toBe(200);
    const pool = await json<Pool>(response);
    expect(pool.algorithm).toBe("round_robin");
    expect(pool.description).toBe("");
    expect(pool.origins.map((origin) => origin.name)).toEqual(["z"]);
    expect(pool.version).toBeGreaterThan(created.version as number);
    expect(response.headers.get("etag")).toBe(`"${pool.version}"`);
    expect(await getPool("replace-me")).toEqual(pool);
  });

  it("accepts the path id in the body and refuses another id", async () => {
    await createPool("same-id");
    expect((await call("PUT", `${API}/pools/same-id`, { body: poolInput("same-id") })).status).toBe(200);
    const response = await call("PUT", `${API}/pools/same-id`, { body: poolInput("other-id") });
    expect(response.status).toBe(400);
    const { errors } = await json<{ errors: { path: string }[] }>(response);
    expect(errors.map((error) => error.path)).toEqual(["id"]);
    expect((await call("GET", `${API}/pools/other-id`)).status).toBe(404);
  });

  it("ignores the version in the body", async () => {
    const created = await createPool("put-version");
    const response = await call("PUT", `${API}/pools/put-version`, {
      body: poolInput("put-version", { description: "x", version: "nonsense" }),
    });
    expect(response.status).toBe(200);
    expect((await json<Pool>(response)).version).toBeGreaterThan(created.version as number);
  });

  it("keeps the version when nothing changes", async () => {
    const created = await createPool("no-op");
    const response = await call("PUT", `${API}/pools/no-op`, { body: poolInput("no-op") });
    expect((await json<Pool>(response)).version).toBe(created.version);
  });

  it("answers 404 for an unknown id", async () => {
    expect((await call("PUT", `${API}/pools/nobody`, { body: poolInput("nobody") })).status).toBe(404);
  });
});

describe("pools: merge patch (PATCH)", () => {
  it("changes only the members sent", async () => {
    await createPool("patch-me", { description: "before", algorithm: "random" });
    const response = await call("PATCH", `${API}/pools/patch-me`, {
      body: { description: "after" },
      contentType: "application/merge-patch+json",
    });
    expect(response.status).toBe(200);
    const pool = await json<Pool>(response);
    expect(pool.description).toBe("after");
    expect(pool.algorithm).toBe("random");
    expect(pool.origins).toHaveLength(2);
  });

  it("accepts application/json too", async () => {
    await createPool("patch-json");
    const response = await call("PATCH", `${API}/pools/patch-json`, { body: { enabled: false } });
    expect(response.status).toBe(200);
    expect((await json<Pool>(response)).enabled).toBe(false);
  });

  it("restores the default of a member patched to null, also inside nested objects", async () => {
    await createPool("patch-null", {
      description: "set",
      healthCheck: { enabled: false, path: "/status", intervalSeconds: 30 },
    });
    let response = await call("PATCH", `${API}/pools/patch-null`, {
      body: { description: null, healthCheck: { path: null } },
    });
    let pool = await json<Pool>(response);
    expect(pool.description).toBe("");
    expect(pool.healthCheck).toMatchObject({ path: "/", intervalSeconds: 30, enabled: false });
    response = await call("PATCH", `${API}/pools/patch-null`, { body: { healthCheck: null } });
    pool = await json<Pool>(response);
    expect(pool.healthCheck).toBeNull();
  });

  it("replaces arrays whole", async () => {
    await createPool("patch-array");
    const response = await call("PATCH", `${API}/pools/patch-array`, {
      body: { origins: [{ name: "only", address: "http://127.0.0.1:9200" }] },
    });
    const pool = await json<Pool>(response);
    expect(pool.origins.map((origin) => origin.name)).toEqual(["only"]);
    expect(pool.origins[0]?.weight).toBe(1);
  });

  it("validates the result in full and changes nothing when it is invalid", async () => {
    const created = await createPool("patch-invalid");
    const response = await call("PATCH", `${API}/pools/patch-invalid`, { body: { minimumOrigins: 5 } });
    expect(response.status).toBe(400);
    const { errors } = await json<{ errors: { path: string }[] }>(response);
    expect(errors.map((error) => error.path)).toEqual(["minimumOrigins"]);
    expect((await getPool("patch-invalid")).version).toBe(created.version);
  });

  it("refuses a patch that changes or removes the id", async () => {
    await createPool("patch-id");
    for (const id of ["renamed", null]) {
      const response = await call("PATCH", `${API}/pools/patch-id`, { body: { id } });
      expect(response.status).toBe(400);
      const { errors } = await json<{ errors: { path: string }[] }>(response);
      expect(errors.map((error) => error.path)).toEqual(["id"]);
    }
    expect((await call("GET", `${API}/pools/renamed`)).status).toBe(404);
  });

  it("answers 404 for an unknown id", async () => {
    expect((await call("PATCH", `${API}/pools/nobody`, { body: { enabled: false } })).status).toBe(404);
  });
});

describe("pools: delete", () => {
  it("deletes with 204, then the id is unknown", async () => {
    await createPool("delete-me");
    const response = await call("DELETE", `${API}/pools/delete-me`);
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
    expect((await call("GET", `${API}/pools/delete-me`)).status).toBe(404);
    expect((await call("DELETE", `${API}/pools/delete-me`)).status).toBe(404);
  });

  it("lets a deleted id be created again with a higher version", async () => {
    const first = await createPool("reborn");
    await call("DELETE", `${API}/pools/reborn`);
    const second = await createPool("reborn");
    expect(second.version).toBeGreaterThan(first.version as number);
  });
});
