import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../../worker/env.ts";
import { API, call, createPool, json, poolInput, READ_TOKEN } from "./support.ts";

const WRONG = "not-the-token";

async function expectProblem(response: Response, status: number): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = await json(response);
  expect(body.status).toBe(status);
  return body;
}

describe("auth", () => {
  it("answers 401 with a Bearer challenge when the token is missing", async () => {
    const response = await call("GET", `${API}/pools`, { token: null });
    await expectProblem(response, 401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
  });

  it("answers 401 with a Bearer challenge when the token is wrong", async () => {
    const response = await call("GET", `${API}/pools`, { token: WRONG });
    await expectProblem(response, 401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
  });

  it("does not accept another scheme or a prefix of the token", async () => {
    const basic = await call("GET", `${API}/pools`, {
      token: null,
      headers: { authorization: "Basic dGVzdC1hZG1pbi10b2tlbg==" },
    });
    await expectProblem(basic, 401);
    await expectProblem(await call("GET", `${API}/pools`, { token: "test-admin-toke" }), 401);
    await expectProblem(await call("GET", `${API}/pools`, { token: "test-admin-tokenX" }), 401);
  });

  it("lets the read token read", async () => {
    await createPool("readable");
    for (const path of [
      `${API}/pools`,
      `${API}/pools/readable`,
      `${API}/load_balancers`,
      `${API}/config`,
      `${API}/audit`,
      `${API}/events`,
    ]) {
      const response = await call("GET", path, { token: READ_TOKEN });
      expect(response.status, path).toBe(200);
    }
  });

  it("refuses every write with the read token (403) and changes nothing", async () => {
    await createPool("guarded");
    const before = await json(await call("GET", `${API}/config`));
    const writes: [string, string, unknown][] = [
      ["POST", `${API}/pools`, poolInput("sneaky")],
      ["PUT", `${API}/pools/guarded`, poolInput("guarded", { description: "x" })],
      ["PATCH", `${API}/pools/guarded`, { description: "x" }],
      ["DELETE", `${API}/pools/guarded`, undefined],
      ["POST", `${API}/load_balancers`, { id: "lb", hostname: "a.example.com", pools: ["guarded"] }],
      ["PUT", `${API}/config`, { pools: [], loadBalancers: [] }],
    ];
    for (const [method, path, body] of writes) {
      const response = await call(method, path, { token: READ_TOKEN, body });
      await expectProblem(response, 403);
    }
    expect(await json(await call("GET", `${API}/config`))).toEqual(before);
  });

  it("lets the admin token read and write", async () => {
    expect((await call("POST", `${API}/pools`, { body: poolInput("admin-made") })).status).toBe(201);
    expect((await call("GET", `${API}/pools/admin-made`)).status).toBe(200);
  });

  it("closes the API with a 503 that says how to set ADMIN_TOKEN when it is unset", async () => {
    const { ADMIN_TOKEN: _unset, ...rest } = env;
    const closed = rest as Env;
    for (const token of [null, "test-admin-token", READ_TOKEN]) {
      const response = await call("GET", `${API}/pools`, { token, env: closed });
      const body = await expectProblem(response, 503);
      expect(body.detail).toContain("wrangler secret put ADMIN_TOKEN");
      expect(body.detail).toContain(".dev.vars");
    }
    const write = await call("POST", `${API}/pools`, { body: poolInput("nope"), env: closed });
    await expectProblem(write, 503);
  });

  it("treats an empty ADMIN_TOKEN as unset", async () => {
    const response = await call("GET", `${API}/pools`, { token: "", env: { ...env, ADMIN_TOKEN: "" } });
    await expectProblem(response, 503);
  });

  it("refuses the read token when READ_TOKEN is not configured", async () => {
    const { READ_TOKEN: _unset, ...rest } = env;
    const response = await call("GET", `${API}/pools`, { token: READ_TOKEN, env: rest as Env });
    await expectProblem(response, 401);
  });

  it("asks for a token before saying whether an API path exists", async () => {
    await expectProblem(await call("GET", `${API}/no-such-thing`, { token: null }), 401);
    await expectProblem(await call("GET", `${API}/no-such-thing`), 404);
  });

  it("serves healthz, the OpenAPI document and the docs page without a token, even with ADMIN_TOKEN unset", async () => {
    const { ADMIN_TOKEN: _unset, ...rest } = env;
    for (const path of ["/__lb/healthz", "/__lb/openapi.json", "/__lb/docs"]) {
      const response = await call("GET", path, { token: null, env: rest as Env });
      expect(response.status, path).toBe(200);
    }
  });
});
