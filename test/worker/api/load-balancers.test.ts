import { describe, expect, it } from "vitest";
import { API, call, createLoadBalancer, createPool, json, lbInput } from "./support.ts";

type Body = Record<string, unknown>;
type Errors = { errors: { path: string; message: string }[] };

describe("load balancers: CRUD", () => {
  it("creates, reads, lists, replaces, patches and deletes", async () => {
    await createPool("crud-pool");
    const created = await call("POST", `${API}/load_balancers`, { body: lbInput("crud", ["crud-pool"]) });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`${API}/load_balancers/crud`);
    const lb = await json(created);
    // Every default, exactly: defaults.test.ts, "load balancer defaults".
    expect(lb).toMatchObject({ id: "crud", hostname: "crud.example.com", pools: ["crud-pool"] });

    const got = await call("GET", `${API}/load_balancers/crud`);
    expect(got.headers.get("etag")).toBe(`"${lb.version}"`);
    expect(await json(got)).toEqual(lb);

    const { items } = await json<{ items: Body[] }>(await call("GET", `${API}/load_balancers`));
    expect(items.map((item) => item.id)).toContain("crud");

    const replaced = await json(
      await call("PUT", `${API}/load_balancers/crud`, {
        body: { hostname: "other.example.com", pools: ["crud-pool"], debugHeaders: true },
      }),
    );
    expect(replaced).toMatchObject({
      hostname: "other.example.com",
      debugHeaders: true,
      steering: "failover",
    });

    const patched = await json(
      await call("PATCH", `${API}/load_balancers/crud`, {
        body: { retries: { attempts: 0 }, debugHeaders: null },
        contentType: "application/merge-patch+json",
      }),
    );
    expect(patched).toMatchObject({
      retries: { attempts: 0, onStatus: [502, 503, 504] },
      debugHeaders: false,
    });

    expect((await call("DELETE", `${API}/load_balancers/crud`)).status).toBe(204);
    expect((await call("GET", `${API}/load_balancers/crud`)).status).toBe(404);
  });

  it("lowercases the hostname", async () => {
    await createPool("case-pool");
    const lb = await createLoadBalancer("case", ["case-pool"], { hostname: "WWW.Case.Example.COM" });
    expect(lb.hostname).toBe("www.case.example.com");
  });

  it("removes a record member patched to null", async () => {
    await createPool("geo-us");
    await createPool("geo-eu");
    await createLoadBalancer("geo", ["geo-us", "geo-eu"], {
      steering: "geo",
      countryPools: { US: ["geo-us"], DE: ["geo-eu"] },
    });
    const response = await call("PATCH", `${API}/load_balancers/geo`, {
      body: { countryPools: { US: null } },
    });
    expect((await json(response)).countryPools).toEqual({ DE: ["geo-eu"] });
  });
});

describe("load balancers: references", () => {
  it("answers 400 naming each reference to a pool that does not exist", async () => {
    await createPool("ref-a");
    const response = await call("POST", `${API}/load_balancers`, {
      body: lbInput("refs", ["ref-a", "ref-missing"], {
        fallbackPool: "ref-spare",
        regionPools: { WEUR: ["ref-a", "ref-eu"] },
        countryPools: { US: ["ref-us"] },
      }),
    });
    expect(response.status).toBe(400);
    const { errors } = await json<Errors>(response);
    expect(errors.map((error) => error.path)).toEqual([
      "pools[1]",
      "fallbackPool",
      "regionPools.WEUR[1]",
      "countryPools.US[0]",
    ]);
    expect(errors[0]?.message).toContain("ref-missing");
    expect((await call("GET", `${API}/load_balancers/refs`)).status).toBe(404);
  });

  it("checks references on PUT and PATCH too", async () => {
    await createPool("ref-b");
    await createLoadBalancer("ref-check", ["ref-b"]);
    const put = await call("PUT", `${API}/load_balancers/ref-check`, {
      body: lbInput("ref-check", ["ref-b", "nope"]),
    });
    expect(put.status).toBe(400);
    const patch = await call("PATCH", `${API}/load_balancers/ref-check`, { body: { fallbackPool: "nope" } });
    expect(patch.status).toBe(400);
    expect((await json<Errors>(patch)).errors.map((error) => error.path)).toEqual(["fallbackPool"]);
  });

  it("refuses to delete a pool that load balancers use, naming them (409)", async () => {
    await createPool("in-use");
    await createPool("in-use-other");
    await createLoadBalancer("user-b", ["in-use"]);
    await createLoadBalancer("user-a", ["in-use-other"], { fallbackPool: "in-use" });
    const response = await call("DELETE", `${API}/pools/in-use`);
    expect(response.status).toBe(409);
    const body = await json(response);
    expect(body.detail).toContain('"user-a"');
    expect(body.detail).toContain('"user-b"');
    expect(body.loadBalancers).toEqual(["user-a", "user-b"]);
    expect((await call("GET", `${API}/pools/in-use`)).status).toBe(200);

    await call("DELETE", `${API}/load_balancers/user-b`);
    await call("PATCH", `${API}/load_balancers/user-a`, { body: { fallbackPool: null } });
    expect((await call("DELETE", `${API}/pools/in-use`)).status).toBe(204);
  });

  it("checks poolWeights against pools", async () => {
    await createPool("weighted");
    const response = await call("POST", `${API}/load_balancers`, {
      body: lbInput("weights", ["weighted"], { steering: "random", poolWeights: { weighted: 2, ghost: 1 } }),
    });
    expect(response.status).toBe(400);
    expect((await json<Errors>(response)).errors.map((error) => error.path)).toEqual(["poolWeights.ghost"]);
  });
});

describe("load balancers: hostname and path prefix are unique", () => {
  it("answers 409 when another load balancer has the same hostname and path prefix", async () => {
    await createPool("route-pool");
    await createLoadBalancer("route-one", ["route-pool"], { hostname: "route.example.com" });
    const response = await call("POST", `${API}/load_balancers`, {
      body: lbInput("route-two", ["route-pool"], { hostname: "ROUTE.example.com" }),
    });
    expect(response.status).toBe(409);
    expect((await json(response)).detail).toContain('"route-one"');

    const other = await call("POST", `${API}/load_balancers`, {
      body: lbInput("route-two", ["route-pool"], { hostname: "route.example.com", pathPrefix: "/api" }),
    });
    expect(other.status).toBe(201);

    const patch = await call("PATCH", `${API}/load_balancers/route-two`, { body: { pathPrefix: "/" } });
    expect(patch.status).toBe(409);
    expect((await json(await call("GET", `${API}/load_balancers/route-two`))).pathPrefix).toBe("/api");
  });

  it("lets a load balancer be replaced with its own hostname and path prefix", async () => {
    await createPool("self-pool");
    await createLoadBalancer("self", ["self-pool"]);
    const response = await call("PUT", `${API}/load_balancers/self`, {
      body: lbInput("self", ["self-pool"], { debugHeaders: true }),
    });
    expect(response.status).toBe(200);
  });
});
