/**
 * API.md, "Conventions": the admin hostname, odd headers, ids and lists, through the Worker's entry.
 * (Auth: auth.test.ts; bodies: http.test.ts; versions and If-Match: versions.test.ts.)
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
