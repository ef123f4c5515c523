import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servePool } from "../helpers/admin-client.ts";
import { send } from "../helpers/http.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import type { OriginEcho } from "../helpers/origins.ts";
import { throughLb } from "../helpers/through-lb.ts";

let lb: TestLoadBalancer;

/** Hop-by-hop headers that must never reach an origin on a plain request. */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"];

beforeAll(async () => {
  lb = await startLoadBalancer({ origins: ["h"] });
  await servePool(lb.api, "app.test", {
    id: "headers",
    origins: [{ name: "h", address: `${lb.origin("h").url}/base`, headers: { "x-origin-secret": "s3cret" } }],
  });
});

afterAll(async () => {
  await lb?.stop();
});

describe("what the origin receives", () => {
  it("gets the method, the path under the origin's base path, the query and the client's own headers", async () => {
    const { echo } = await throughLb(lb.url, "app.test", {
      method: "DELETE",
      path: "/hello/world?x=1&y=two%20words",
      headers: { "x-custom": "kept", accept: "application/json" },
    });

    expect(echo).toMatchObject({
      origin: "h",
      method: "DELETE",
      path: "/base/hello/world",
      query: "x=1&y=two%20words",
    });
    expect(echo.headers["x-custom"]).toBe("kept");
    expect(echo.headers.accept).toBe("application/json");
  });

  it("appends the request path to the base path as is", async () => {
    const { echo } = await throughLb(lb.url, "app.test", { path: "/" });

    expect(echo.path).toBe("/base/");
    expect(echo.query).toBe("");
  });

  it("gets the origin's host, the per-origin headers and X-Forwarded-*", async () => {
    const { echo } = await throughLb(lb.url, "app.test", { path: "/fwd" });

    expect(echo.headers.host).toBe(`127.0.0.1:${lb.origin("h").port}`);
    expect(echo.headers["x-origin-secret"]).toBe("s3cret");
    expect(echo.headers["x-forwarded-proto"]).toBe("http");
    expect(echo.headers["x-forwarded-host"]).toBe("app.test");
    expect(echo.headers["x-forwarded-for"]).toBe("127.0.0.1");
  });

  it("appends the client address to an existing X-Forwarded-For", async () => {
    const { echo } = await throughLb(lb.url, "app.test", { headers: { "x-forwarded-for": "203.0.113.7" } });

    expect(echo.headers["x-forwarded-for"]).toBe("203.0.113.7, 127.0.0.1");
  });

  it("keeps a Host with a port in X-Forwarded-Host while routing on the hostname", async () => {
    const { echo } = await throughLb(lb.url, "app.test:8080", { path: "/port" });

    expect(echo.headers["x-forwarded-host"]).toBe("app.test:8080");
  });

  it("never gets hop-by-hop headers", async () => {
    const { echo } = await throughLb(lb.url, "app.test", {
      headers: {
        "proxy-connection": "keep-alive",
        "keep-alive": "timeout=5",
        te: "trailers",
      },
    });

    for (const name of HOP_BY_HOP) expect(echo.headers, name).not.toHaveProperty(name);
  });
});

describe("what the client receives", () => {
  it("the origin's status, headers and body, unchanged", async () => {
    const res = await send(lb.url, { host: "app.test", path: "/missing?status=404" });

    expect(res.status).toBe(404);
    expect(res.header("x-origin")).toBe("h");
    expect(res.header("content-type")).toBe("application/json");
    expect(res.json<OriginEcho>()).toMatchObject({ origin: "h", path: "/base/missing" });
  });
});

describe("X-Request-Id", () => {
  it("keeps the client's id, upstream and in the response", async () => {
    const { res, echo } = await throughLb(lb.url, "app.test", { headers: { "x-request-id": "req-abc-123" } });

    expect(echo.headers["x-request-id"]).toBe("req-abc-123");
    expect(res.header("x-request-id")).toBe("req-abc-123");
  });

  it("generates a fresh id when the client sends none and returns it", async () => {
    const first = await throughLb(lb.url, "app.test");
    const second = await throughLb(lb.url, "app.test");

    const id = first.echo.headers["x-request-id"];
    expect(id).toMatch(/^\S{8,}$/);
    expect(first.res.header("x-request-id")).toBe(id);
    expect(second.echo.headers["x-request-id"]).not.toBe(id);
    expect(second.res.header("x-request-id")).toBe(second.echo.headers["x-request-id"]);
  });
});
