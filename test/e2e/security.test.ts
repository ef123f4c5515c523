/**
 * Hardening seen from outside, through the real runtime and real origins: the management side on
 * the wrong hostname, what the read token sees, reserved headers, no replay of a POST after an
 * origin's 52x, and affinity cookies that outlive an ADMIN_TOKEN rotation across a restart.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpResult, send } from "../helpers/http.ts";
import { startOrigin, stopOrigins, type TestOrigin } from "../helpers/origins.ts";
import { type Runtime, startRuntime } from "../helpers/runtime.ts";
import { throughLb } from "../helpers/through-lb.ts";
import { waitFor } from "../helpers/wait.ts";

const ADMIN_HOST = "admin.localhost";
let stateDir: string;
let runtime: Runtime;
let origins: TestOrigin[] = [];
let a: TestOrigin;
let b: TestOrigin;
let failing: TestOrigin;

/** One management API request on the admin hostname (or `host`), with the admin token unless told. */
async function admin(
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; host?: string } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? runtime.adminToken : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  return send(runtime.url, {
    method,
    host: options.host ?? ADMIN_HOST,
    path: `/__lb/api/v1${path}`,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
}

async function created(response: Promise<HttpResult>): Promise<void> {
  const res = await response;
  if (res.status !== 201) throw new Error(`expected 201, got ${res.status}: ${res.text().slice(0, 500)}`);
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "edge-lb-security-"));
  a = await startOrigin("a");
  b = await startOrigin("b");
  failing = await startOrigin("failing", { status: 522 });
  origins = [a, b, failing];
  runtime = await startRuntime({ persistTo: stateDir, vars: { ADMIN_HOSTNAME: ADMIN_HOST } });
});

afterAll(async () => {
  await runtime?.stop();
  await stopOrigins(origins);
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe("the management side with ADMIN_HOSTNAME", () => {
  it("answers 404 for /__lb/... on any other hostname, and the request never reaches an origin", async () => {
    await created(
      admin("POST", "/pools", { body: { id: "site", origins: [{ name: "a", address: a.url }] } }),
    );
    await created(
      admin("POST", "/load_balancers", { body: { id: "site", hostname: "app.test", pools: ["site"] } }),
    );
    expect((await throughLb(runtime.url, "app.test", { path: "/ready" })).echo.origin).toBe("a");
    a.reset();

    for (const path of ["/__lb/api/v1/pools", "/__lb/api/v1/config", "/__lb/", "/__lb", "/__lb/metrics"]) {
      const res = await send(runtime.url, {
        host: "app.test",
        path,
        headers: { authorization: `Bearer ${runtime.adminToken}` },
      });
      expect(res.status, path).toBe(404);
      expect(res.header("content-type"), path).toContain("application/problem+json");
    }
    const write = await admin("DELETE", "/load_balancers/site", { host: "app.test" });
    expect(write.status).toBe(404);
    expect(a.count()).toBe(0);
    expect((await admin("GET", "/load_balancers/site")).status).toBe(200);
  });
});

describe("secrets", () => {
  it("shows header values to the admin token only, and refuses the read token's export applied back", async () => {
    const secret = "origin-api-key-5d41402a";
    await created(
      admin("POST", "/pools", {
        body: {
          id: "secretive",
          origins: [{ name: "a", address: a.url, headers: { "x-api-key": secret } }],
          healthCheck: { path: "/health", headers: { authorization: `Bearer ${secret}` } },
        },
      }),
    );
    expect((await admin("GET", "/config")).text()).toContain(secret);
    const exported = await admin("GET", "/config", { token: runtime.readToken });
    expect(exported.status).toBe(200);
    for (const path of ["/pools", "/pools/secretive"]) {
      const read = await admin("GET", path, { token: runtime.readToken });
      expect(read.text(), path).not.toContain(secret);
    }
    expect(exported.text()).not.toContain(secret);
    expect(exported.text()).toContain('"x-api-key":"<redacted>"');

    const applied = await admin("PUT", "/config", { body: exported.json() });
    expect(applied.status).toBe(400);
    expect(applied.text()).toContain("<redacted>");
    expect((await admin("GET", "/pools/secretive")).text()).toContain(secret);
  });

  it("refuses headers the proxy owns, naming the field, and never forwards Proxy-Authorization", async () => {
    const hops = await admin("POST", "/pools", {
      body: { id: "loop", origins: [{ name: "a", address: a.url, headers: { "x-edge-lb-hops": "0" } }] },
    });
    expect(hops.status).toBe(400);
    expect(hops.json<{ errors: { path: string }[] }>().errors[0]?.path).toBe(
      'origins[0].headers["x-edge-lb-hops"]',
    );
    const forwarded = await admin("POST", "/pools", {
      body: {
        id: "loop",
        origins: [{ name: "a", address: a.url }],
        healthCheck: { headers: { "X-Forwarded-For": "10.0.0.1" } },
      },
    });
    expect(forwarded.status).toBe(400);
    expect(forwarded.json<{ errors: { path: string }[] }>().errors[0]?.path).toBe(
      'healthCheck.headers["X-Forwarded-For"]',
    );
    expect((await admin("GET", "/pools/loop")).status).toBe(404);

    const { echo } = await throughLb(runtime.url, "app.test", {
      headers: { "proxy-authorization": "Basic cHJveHk6c2VjcmV0", "proxy-authenticate": "Basic" },
    });
    expect(echo.headers).not.toHaveProperty("proxy-authorization");
    expect(echo.headers).not.toHaveProperty("proxy-authenticate");
  });
});

describe("retries", () => {
  it("never sends a POST again after an origin answered 522", async () => {
    await created(
      admin("POST", "/pools", {
        body: {
          id: "writes",
          origins: [
            { name: "failing", address: failing.url },
            { name: "b", address: b.url },
          ],
        },
      }),
    );
    await created(
      admin("POST", "/load_balancers", {
        body: { id: "writes", hostname: "writes.test", pools: ["writes"] },
      }),
    );
    await waitFor(async () => (await send(runtime.url, { host: "writes.test", path: "/" })).status !== 404, {
      what: "writes.test served",
    });
    failing.reset();
    b.reset();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await send(runtime.url, {
        method: "POST",
        host: "writes.test",
        path: `/orders/${i}`,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ order: i }),
      });
      statuses.push(res.status);
    }
    // Every POST reached exactly one origin: the one that answered 522 acted on it as far as
    // anyone knows, so it is not repeated elsewhere.
    expect(failing.count() + b.count()).toBe(4);
    expect(failing.count()).toBeGreaterThan(0);
    expect(statuses.filter((status) => status === 522)).toHaveLength(failing.count());
  });
});

describe("affinity cookies", () => {
  it("keep their pin after ADMIN_TOKEN is rotated and the Worker restarts with its stored state", async () => {
    await created(
      admin("POST", "/pools", {
        body: {
          id: "sticky",
          origins: [
            { name: "a", address: a.url },
            { name: "b", address: b.url },
          ],
        },
      }),
    );
    await created(
      admin("POST", "/load_balancers", {
        body: {
          id: "sticky",
          hostname: "sticky.test",
          pools: ["sticky"],
          sessionAffinity: { type: "cookie" },
        },
      }),
    );
    // A new load balancer reaches the edge within the configuration's refresh.
    const first = await waitFor(() => throughLb(runtime.url, "sticky.test"), { what: "sticky.test served" });
    const setCookie = first.res.headers["set-cookie"]?.find((c) => c.startsWith("__lb="));
    expect(setCookie).toBeDefined();
    const cookie = setCookie!.split(";")[0]!;
    const pinned = first.echo.origin;

    const oldToken = runtime.adminToken;
    await runtime.stop();
    runtime = await startRuntime({
      persistTo: stateDir,
      adminToken: `rotated-${Date.now()}`,
      vars: { ADMIN_HOSTNAME: ADMIN_HOST },
    });
    expect((await admin("GET", "/pools", { token: oldToken })).status).toBe(401);
    expect((await admin("GET", "/pools/sticky")).status).toBe(200);
    // No change after the restart: the first request finds the load balancer at once (a write puts
    // its configuration in the location's shared copy too, so no isolate takes an older copy).
    for (let i = 0; i < 8; i++) {
      const again = await throughLb(runtime.url, "sticky.test", { headers: { cookie } });
      expect(again.echo.origin).toBe(pinned);
      expect(again.res.headers["set-cookie"]?.some((c) => c.startsWith("__lb="))).toBeFalsy();
    }
  });
});
