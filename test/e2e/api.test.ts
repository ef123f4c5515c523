import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectStatus } from "../helpers/admin-client.ts";
import { send } from "../helpers/http.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import { expectProblem } from "../helpers/problem.ts";

interface Resource {
  id: string;
  version: number;
  [field: string]: unknown;
}

let lb: TestLoadBalancer;

const ORIGIN = "http://127.0.0.1:9";

beforeAll(async () => {
  lb = await startLoadBalancer();
});

afterAll(async () => {
  await lb?.stop();
});

describe("health endpoint", () => {
  it("answers 200 without a token", async () => {
    expect((await send(lb.url, { path: "/__lb/healthz" })).status).toBe(200);
  });
});

describe("authentication", () => {
  it("401 with WWW-Authenticate: Bearer without a token", async () => {
    const res = await lb.api.get("/pools", { token: null });

    expectProblem(res.raw, 401);
    expect(res.raw.header("www-authenticate") ?? "").toMatch(/^Bearer\b/);
  });

  it("401 with a wrong token", async () => {
    expectProblem((await lb.api.get("/pools", { token: `${lb.adminToken}x` })).raw, 401);
  });

  it("the read token may read but not write (403)", async () => {
    expectStatus(await lb.api.get("/pools", { token: lb.readToken }), 200);

    const write = await lb.api.post(
      "/pools",
      { id: "nope", origins: [{ name: "o", address: ORIGIN }] },
      { token: lb.readToken },
    );

    expectProblem(write.raw, 403);
    expectProblem((await lb.api.get("/pools/nope")).raw, 404);
  });
});

describe("pools", () => {
  it("create, read, list, patch, replace and delete", async () => {
    const created = expectStatus(
      await lb.api.post<Resource>("/pools", {
        id: "web",
        origins: [{ name: "w1", address: `${ORIGIN}/base` }],
      }),
      201,
    ).body;
    expect(created).toMatchObject({
      id: "web",
      description: "",
      enabled: true,
      algorithm: "round_robin",
      origins: [
        { name: "w1", address: `${ORIGIN}/base`, weight: 1, enabled: true, backup: false, headers: {} },
      ],
    });
    expect(created.version).toBeGreaterThan(0);

    const read = expectStatus(await lb.api.get<Resource>("/pools/web"), 200);
    expect(read.body).toEqual(created);
    expect(read.etag).toBe(`"${created.version}"`);

    expectStatus(await lb.api.post("/pools", { id: "api", origins: [{ name: "a1", address: ORIGIN }] }), 201);
    const list = expectStatus(await lb.api.get<{ items: Resource[] }>("/pools"), 200).body;
    expect(list.items.map((pool) => pool.id)).toEqual(["api", "web"]);

    const patched = expectStatus(
      await lb.api.patch<Resource>("/pools/web", { description: "front end" }, { ifMatch: created.version }),
      200,
    ).body;
    expect(patched).toMatchObject({ id: "web", description: "front end", origins: created.origins });
    expect(patched.version).toBeGreaterThan(created.version);

    const replaced = expectStatus(
      await lb.api.put<Resource>("/pools/web", {
        id: "web",
        origins: [{ name: "w2", address: ORIGIN, weight: 5 }],
      }),
      200,
    ).body;
    expect(replaced).toMatchObject({ description: "", origins: [{ name: "w2", weight: 5 }] });
    expect(replaced.version).toBeGreaterThan(patched.version);

    expect((await lb.api.delete("/pools/web")).status).toBe(204);
    expectProblem((await lb.api.get("/pools/web")).raw, 404);
    expect(
      expectStatus(await lb.api.get<{ items: Resource[] }>("/pools"), 200).body.items.map((p) => p.id),
    ).toEqual(["api"]);
  });

  it("a stale If-Match gets 412 and changes nothing", async () => {
    const created = expectStatus(
      await lb.api.post<Resource>("/pools", { id: "guarded", origins: [{ name: "g1", address: ORIGIN }] }),
      201,
    ).body;
    expectStatus(await lb.api.patch("/pools/guarded", { description: "first" }), 200);

    expectProblem(
      (await lb.api.patch("/pools/guarded", { description: "second" }, { ifMatch: created.version })).raw,
      412,
    );
    expectProblem((await lb.api.delete("/pools/guarded", { ifMatch: created.version })).raw, 412);

    expect(expectStatus(await lb.api.get<Resource>("/pools/guarded"), 200).body.description).toBe("first");
  });

  it("409 when the id exists, 404 for an unknown id", async () => {
    expectStatus(
      await lb.api.post("/pools", { id: "twice", origins: [{ name: "t1", address: ORIGIN }] }),
      201,
    );

    expectProblem(
      (await lb.api.post("/pools", { id: "twice", origins: [{ name: "t1", address: ORIGIN }] })).raw,
      409,
    );
    expectProblem((await lb.api.patch("/pools/missing", { description: "x" })).raw, 404);
    expectProblem((await lb.api.delete("/pools/missing")).raw, 404);
  });

  it("400 with the failing field's path for an invalid pool", async () => {
    const res = await lb.api.post("/pools", {
      id: "bad",
      origins: [
        { name: "ok", address: ORIGIN },
        { name: "heavy", address: ORIGIN, weight: 5000 },
      ],
    });

    const problem = expectProblem(res.raw, 400);
    expect(problem.errors?.map((error) => error.path)).toContain("origins[1].weight");
  });

  it("400 for a body that is not JSON, 415 for another content type", async () => {
    expectProblem((await lb.api.post("/pools", "{not json")).raw, 400);
    expectProblem(
      (
        await lb.api.post("/pools", JSON.stringify({ id: "typed", origins: [] }), {
          contentType: "text/plain",
        })
      ).raw,
      415,
    );
  });
});

describe("load balancers", () => {
  it("create, read, patch and delete; pools they use cannot be deleted", async () => {
    expectStatus(
      await lb.api.post("/pools", { id: "lb-pool", origins: [{ name: "p1", address: ORIGIN }] }),
      201,
    );
    const created = expectStatus(
      await lb.api.post<Resource>("/load_balancers", {
        id: "www",
        hostname: "www.example.com",
        pools: ["lb-pool"],
      }),
      201,
    ).body;
    expect(created).toMatchObject({
      id: "www",
      hostname: "www.example.com",
      pathPrefix: "/",
      enabled: true,
      pools: ["lb-pool"],
      fallbackPool: null,
      steering: "failover",
    });

    const read = expectStatus(await lb.api.get<Resource>("/load_balancers/www"), 200);
    expect(read.etag).toBe(`"${created.version}"`);
    const patched = expectStatus(
      await lb.api.patch<Resource>("/load_balancers/www", { enabled: false }),
      200,
    ).body;
    expect(patched).toMatchObject({ enabled: false, hostname: "www.example.com" });

    const blocked = await lb.api.delete("/pools/lb-pool");
    expectProblem(blocked.raw, 409);
    expect(blocked.raw.text()).toContain("www");

    expect((await lb.api.delete("/load_balancers/www")).status).toBe(204);
    expect((await lb.api.delete("/pools/lb-pool")).status).toBe(204);
  });

  it("400 when a load balancer names a pool that does not exist", async () => {
    expectProblem(
      (await lb.api.post("/load_balancers", { id: "ghost", hostname: "ghost.test", pools: ["no-such-pool"] }))
        .raw,
      400,
    );
  });
});

describe("whole configuration", () => {
  it("GET /config returns what PUT /config stored", async () => {
    const doc = {
      pools: [{ id: "cfg", origins: [{ name: "c1", address: ORIGIN }] }],
      loadBalancers: [{ id: "cfg", hostname: "cfg.test", pools: ["cfg"] }],
    };

    expectStatus(await lb.api.put("/config", doc), 200);

    const stored = expectStatus(
      await lb.api.get<{ pools: Resource[]; loadBalancers: Resource[] }>("/config"),
      200,
    ).body;
    expect(stored.pools.map((pool) => pool.id)).toEqual(["cfg"]);
    expect(stored.loadBalancers).toMatchObject([{ id: "cfg", hostname: "cfg.test", pools: ["cfg"] }]);
  });
});
