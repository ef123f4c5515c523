/**
 * API.md, "Conventions", sentence by sentence, through the Worker's entry.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../../worker/env.ts";
import {
  API,
  type CallOptions,
  call,
  create,
  errorPaths,
  expectProblem,
  json,
  lbInput,
  poolInput,
} from "./support.ts";

describe("base path and ADMIN_HOSTNAME", () => {
  it("answers the API on any hostname when ADMIN_HOSTNAME is unset", async () => {
    for (const host of ["lb.example.com", "localhost", "anything.test"]) {
      const response = await call("GET", `https://${host}/__lb/api/v1/pools`);
      expect(response.status, host).toBe(200);
    }
  });

  it("refuses the management side over plain http except on localhost and loopback", async () => {
    for (const url of [
      "http://lb.example.com/__lb/api/v1/pools",
      "http://lb.example.com/__lb/metrics",
      "http://lb.example.com/__lb/",
      "http://10.0.0.1/__lb/api/v1/pools",
    ]) {
      const response = await call("GET", url);
      const problem = await expectProblem(response, 403, url);
      expect(problem.type, url).toContain("https-required");
    }
    for (const host of ["localhost", "127.0.0.1", "127.0.0.1:8787", "[::1]", "app.localhost"]) {
      const response = await call("GET", `http://${host}/__lb/api/v1/pools`);
      expect(response.status, host).toBe(200);
    }
    expect((await SELF.fetch("http://lb.example.com/__lb/healthz")).status).toBe(200);
  });

  it("answers only on ADMIN_HOSTNAME when it is set; elsewhere 404, never proxied", async () => {
    const bindings = { ...env, ADMIN_HOSTNAME: "admin.contract.test" } as Env;
    const admin = await call("GET", "https://admin.contract.test/__lb/api/v1/pools", { env: bindings });
    expect(admin.status).toBe(200);
    const upper = await call("GET", "https://ADMIN.contract.test/__lb/api/v1/pools", { env: bindings });
    expect(upper.status).toBe(200);
    const other = await call("GET", "https://other.contract.test/__lb/api/v1/pools", { env: bindings });
    const problem = await expectProblem(other, 404);
    expect(problem.detail).not.toMatch(/token/i);
    expect(other.headers.get("www-authenticate")).toBeNull();
  });
});

describe("odd headers", () => {
  it("never answer 500", async () => {
    await create("pools", poolInput("hdr-pool"));
    const cases: [string, string, CallOptions][] = [
      ["PATCH", "/pools/hdr-pool", { body: {}, headers: { "if-match": "" } }],
      ["PATCH", "/pools/hdr-pool", { body: {}, headers: { "if-match": '"' } }],
      ["PATCH", "/pools/hdr-pool", { body: {}, headers: { "if-match": `"${"9".repeat(400)}"` } }],
      ["PATCH", "/pools/hdr-pool", { body: {}, headers: { "if-match": 'W/, *, "1"' } }],
      ["GET", "/pools/hdr-pool", { headers: { "if-none-match": '"""' } }],
      ["POST", "/pools", { raw: "{}", contentType: ";;;" }],
      ["POST", "/pools", { raw: "{}", contentType: 'application/json; charset="' }],
      ["GET", "/pools", { token: "x".repeat(20_000) }],
      ["PUT", "/config", { raw: "{}", headers: { "content-length": "abc" } }],
    ];
    for (const [method, path, options] of cases) {
      const response = await call(method, `${API}${path}`, options);
      if (response.status >= 400)
        await expectProblem(response, response.status, JSON.stringify(options.headers));
      expect(response.status).toBeLessThan(500);
    }
  });
});

describe("ids", () => {
  it("accepts slugs up to 63 characters and refuses anything else at path id", async () => {
    for (const id of ["a", "0", "a-b_c", "x".repeat(63), "9lives"]) {
      expect((await call("POST", `${API}/pools`, { body: poolInput(id) })).status, id).toBe(201);
    }
    for (const id of ["x".repeat(64), "Upper", "-lead", "_lead", "a.b", "a b", "", "é", "a/b", 7, null]) {
      const paths = await errorPaths(
        await call("POST", `${API}/pools`, { body: poolInput(id as string) }),
        String(id),
      );
      expect(paths, String(id)).toContain("id");
    }
    expect(await errorPaths(await call("POST", `${API}/pools`, { body: { origins: [] } }))).toContain("id");
  });

  it("answers 409 to creating an existing id, for both kinds", async () => {
    await create("pools", poolInput("dupe"));
    await expectProblem(await call("POST", `${API}/pools`, { body: poolInput("dupe") }), 409);
    await create("load_balancers", lbInput("dupe", ["dupe"]));
    const again = await call("POST", `${API}/load_balancers`, {
      body: lbInput("dupe", ["dupe"], { hostname: "elsewhere.contract.test" }),
    });
    await expectProblem(again, 409);
  });

  it("answers 404 to an unknown id on every method and sub-resource", async () => {
    await create("pools", poolInput("known"));
    const cases: [string, string, unknown][] = [
      ["GET", "/pools/unknown", undefined],
      ["PUT", "/pools/unknown", poolInput("unknown")],
      ["PATCH", "/pools/unknown", {}],
      ["DELETE", "/pools/unknown", undefined],
      ["GET", "/load_balancers/unknown", undefined],
      ["PUT", "/load_balancers/unknown", lbInput("unknown", ["known"])],
      ["PATCH", "/load_balancers/unknown", {}],
      ["DELETE", "/load_balancers/unknown", undefined],
      ["GET", "/pools/unknown/health", undefined],
      ["POST", "/pools/unknown/origins/a/drain", undefined],
      ["POST", "/pools/unknown/origins/a/undrain", undefined],
      ["POST", "/pools/known/origins/nope/drain", undefined],
      ["POST", "/pools/known/origins/nope/undrain", undefined],
      ["GET", "/pools/a%2Fb", undefined],
      ["GET", "/pools/a%2Fb/health", undefined],
      ["POST", "/pools/known/origins/a%2Fb/drain", undefined],
      ["GET", `/pools/${"x".repeat(5000)}`, undefined],
    ];
    for (const [method, path, payload] of cases) {
      await expectProblem(
        await call(method, `${API}${path}`, { body: payload }),
        404,
        `${method} ${path.slice(0, 60)}`,
      );
    }
  });
});

describe("versions, ETags and If-Match", () => {
  it("sends ETag on every GET of a resource, the list and the config", async () => {
    const created = await create("pools", poolInput("etag-pool"));
    const lb = await create("load_balancers", lbInput("etag-lb", ["etag-pool"]));
    expect(created.version).toBe(1);
    expect(lb.version).toBe(1);
    expect((await call("GET", `${API}/pools/etag-pool`)).headers.get("etag")).toBe(`"${created.version}"`);
    expect((await call("GET", `${API}/load_balancers/etag-lb`)).headers.get("etag")).toBe(`"${lb.version}"`);
    const config = await call("GET", `${API}/config`);
    const { version } = await json<{ version: number }>(config);
    expect(config.headers.get("etag")).toBe(`"${version}"`);
    for (const path of ["/pools", "/load_balancers"]) {
      expect((await call("GET", `${API}${path}`)).headers.get("etag"), path).toBe(`"${version}"`);
    }
  });

  it("counts each resource's own changes from 1, and never hands out a version twice", async () => {
    const created = await create("pools", poolInput("counted"));
    expect(created.version).toBe(1);
    await create("pools", poolInput("counted-other"));
    const patch = (description: string) => call("PATCH", `${API}/pools/counted`, { body: { description } });
    expect((await json<{ version: number }>(await patch("one"))).version).toBe(2);
    expect((await json<{ version: number }>(await patch("one"))).version).toBe(2);
    const put = await call("PUT", `${API}/pools/counted`, { body: poolInput("counted") });
    expect(put.headers.get("etag")).toBe('"3"');
    expect((await call("DELETE", `${API}/pools/counted`)).status).toBe(204);
    const again = await create("pools", poolInput("counted"));
    expect(again.version).toBe(4);
    const stale = await call("PATCH", `${API}/pools/counted`, {
      body: { enabled: false },
      headers: { "if-match": '"1"' },
    });
    await expectProblem(stale, 412);
  });

  it("answers 412 to a stale If-Match on every write of a load balancer and changes nothing", async () => {
    await create("pools", poolInput("im-pool"));
    const first = await create("load_balancers", lbInput("im-lb", ["im-pool"]));
    const moved = await json<{ version: number }>(
      await call("PATCH", `${API}/load_balancers/im-lb`, { body: { debugHeaders: true } }),
    );
    expect(moved.version).toBeGreaterThan(first.version);
    const stale = { "if-match": `"${first.version}"` };
    for (const [method, payload] of [
      ["PUT", lbInput("im-lb", ["im-pool"])],
      ["PATCH", { enabled: false }],
      ["DELETE", undefined],
    ] as const) {
      const response = await call(method, `${API}/load_balancers/im-lb`, { body: payload, headers: stale });
      await expectProblem(response, 412, method);
    }
    const now = await json(await call("GET", `${API}/load_balancers/im-lb`));
    expect(now).toMatchObject({ version: moved.version, enabled: true, debugHeaders: true });
    const ok = await call("DELETE", `${API}/load_balancers/im-lb`, {
      headers: { "if-match": `"${moved.version}"` },
    });
    expect(ok.status).toBe(204);
  });

  it("answers 412 to PUT /config with a stale If-Match, dry run included", async () => {
    const { version } = await json<{ version: number }>(await call("GET", `${API}/config`));
    await create("pools", poolInput("cfg-stale"));
    const before = await (await call("GET", `${API}/config`)).text();
    for (const query of ["", "?dryRun=true"]) {
      const response = await call("PUT", `${API}/config${query}`, {
        body: { pools: [], loadBalancers: [] },
        headers: { "if-match": `"${version}"` },
      });
      await expectProblem(response, 412, query);
    }
    expect(await (await call("GET", `${API}/config`)).text()).toBe(before);
  });
});

describe("lists", () => {
  it("returns { items } sorted by id for both kinds", async () => {
    for (const id of ["sort-c", "sort-a", "sort-b"]) await create("pools", poolInput(id));
    for (const id of ["sort-z", "sort-x", "sort-y"]) await create("load_balancers", lbInput(id, ["sort-a"]));
    for (const path of ["/pools", "/load_balancers"]) {
      const { items } = await json<{ items: { id: string }[] }>(await call("GET", `${API}${path}`));
      const ids = items.map((item) => item.id);
      expect(ids, path).toEqual([...ids].sort());
    }
  });
});
