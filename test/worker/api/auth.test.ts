/**
 * Who may do what: the admin token reads and writes, the read token only reads, anything else is
 * 401 (with a Bearer challenge) before a path is even looked at, and an unset ADMIN_TOKEN closes
 * the API with a 503 that says how to set it.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../../worker/env.ts";
import { ADMIN_TOKEN, API, call, create, expectProblem, lbInput, poolInput, READ_TOKEN } from "./support.ts";

describe("auth", () => {
  it("answers 401 with WWW-Authenticate: Bearer for a missing, wrong or malformed token", async () => {
    const cases: [string, Record<string, string>][] = [
      ["missing", {}],
      ["wrong", { authorization: "Bearer nope" }],
      ["a prefix of the token", { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
      ["the token and more", { authorization: `Bearer ${ADMIN_TOKEN}X` }],
      ["basic", { authorization: "Basic dGVzdC1hZG1pbi10b2tlbg==" }],
      ["basic x", { authorization: "Basic x" }],
      ["bare scheme", { authorization: "Bearer" }],
      ["scheme and space", { authorization: "Bearer " }],
      ["two tokens", { authorization: `Bearer ${ADMIN_TOKEN} extra` }],
      ["token only", { authorization: ADMIN_TOKEN }],
      ["unicode", { authorization: "Bearer t\u00e9st" }],
    ];
    for (const [what, headers] of cases) {
      const response = await call("GET", `${API}/pools`, { token: null, headers });
      await expectProblem(response, 401, what);
      expect(response.headers.get("www-authenticate"), what).toBe("Bearer");
    }
  });

  it("answers 401 on every endpoint, reads and writes alike", async () => {
    for (const [method, path] of [
      ["GET", `${API}/pools`],
      ["POST", `${API}/pools`],
      ["GET", `${API}/load_balancers/x`],
      ["DELETE", `${API}/load_balancers/x`],
      ["PUT", `${API}/config`],
      ["GET", `${API}/status`],
      ["GET", `${API}/events`],
      ["GET", `${API}/explain?url=http://x.test/`],
      ["POST", `${API}/pools/x/origins/a/drain`],
      ["GET", "/__lb/metrics"],
    ] as const) {
      const response = await call(method, path, { token: null });
      await expectProblem(response, 401, `${method} ${path}`);
    }
  });

  it("asks for a token before saying whether an API path exists", async () => {
    await expectProblem(await call("GET", `${API}/no-such-thing`, { token: null }), 401);
    await expectProblem(await call("GET", `${API}/no-such-thing`), 404);
  });

  it("answers 403 to the read token on every write and changes nothing", async () => {
    await create("pools", poolInput("ro-pool", { origins: [{ name: "a", address: "http://127.0.0.1:1" }] }));
    await create("load_balancers", lbInput("ro-lb", ["ro-pool"]));
    const before = await (await call("GET", `${API}/config`)).text();
    const writes: [string, string, unknown][] = [
      ["POST", "/pools", poolInput("ro-new")],
      ["PUT", "/pools/ro-pool", poolInput("ro-pool", { description: "x" })],
      ["PATCH", "/pools/ro-pool", { description: "x" }],
      ["DELETE", "/pools/ro-pool", undefined],
      ["POST", "/load_balancers", lbInput("ro-new", ["ro-pool"])],
      ["PUT", "/load_balancers/ro-lb", lbInput("ro-lb", ["ro-pool"], { enabled: false })],
      ["PATCH", "/load_balancers/ro-lb", { enabled: false }],
      ["DELETE", "/load_balancers/ro-lb", undefined],
      ["PUT", "/config", { pools: [], loadBalancers: [] }],
      ["PUT", "/config?dryRun=true", { pools: [], loadBalancers: [] }],
      ["POST", "/pools/ro-pool/origins/a/drain", undefined],
      ["POST", "/pools/ro-pool/origins/a/undrain", undefined],
    ];
    for (const [method, path, payload] of writes) {
      await expectProblem(
        await call(method, `${API}${path}`, { token: READ_TOKEN, body: payload }),
        403,
        `${method} ${path}`,
      );
    }
    expect(await (await call("GET", `${API}/config`)).text()).toBe(before);
  });

  it("lets the read token read everything", async () => {
    await create("pools", poolInput("readable"));
    for (const path of [
      "/pools",
      "/pools/readable",
      "/pools/readable/health",
      "/load_balancers",
      "/config",
      "/status",
      "/events",
      "/audit",
    ]) {
      expect((await call("GET", `${API}${path}`, { token: READ_TOKEN })).status, path).toBe(200);
    }
    expect((await call("GET", "/__lb/metrics", { token: READ_TOKEN })).status).toBe(200);
  });

  it("lets the admin token read and write", async () => {
    expect((await call("POST", `${API}/pools`, { body: poolInput("admin-made") })).status).toBe(201);
    expect((await call("GET", `${API}/pools/admin-made`)).status).toBe(200);
  });

  it("refuses the read token when READ_TOKEN is not configured", async () => {
    const { READ_TOKEN: _unset, ...rest } = env;
    await expectProblem(await call("GET", `${API}/pools`, { token: READ_TOKEN, env: rest as Env }), 401);
  });
});

describe("ADMIN_TOKEN unset", () => {
  const { ADMIN_TOKEN: _unset, ...rest } = env;
  const closed = rest as Env;

  it("closes the API and the metrics with a 503 that says how to set it, whatever the token", async () => {
    for (const token of [null, ADMIN_TOKEN, READ_TOKEN]) {
      for (const [method, path] of [
        ["GET", `${API}/pools`],
        ["POST", `${API}/pools`],
        ["GET", "/__lb/metrics"],
      ] as const) {
        const what = `${method} ${path} with ${token}`;
        const response = await call(method, path, {
          token,
          env: closed,
          body: method === "POST" ? poolInput("nope") : undefined,
        });
        const problem = await expectProblem(response, 503, what);
        expect(problem.detail, what).toContain("wrangler secret put ADMIN_TOKEN");
        expect(problem.detail, what).toContain(".dev.vars");
      }
    }
  });

  it("treats an empty ADMIN_TOKEN as unset", async () => {
    const response = await call("GET", `${API}/pools`, { token: "", env: { ...env, ADMIN_TOKEN: "" } });
    await expectProblem(response, 503);
  });

  it("still serves healthz, the OpenAPI document and the docs page without a token", async () => {
    for (const path of ["/__lb/healthz", "/__lb/openapi.json", "/__lb/docs"]) {
      const response = await call("GET", path, { token: null, env: closed });
      expect(response.status, path).toBe(200);
    }
  });
});
