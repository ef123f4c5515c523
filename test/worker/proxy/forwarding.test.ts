import { describe, expect, it } from "vitest";
import { installConfig, ORIGIN, send } from "./support.ts";

interface Echo {
  method: string;
  path: string;
  headers: Record<string, string>;
}

describe("what the origin receives and the client gets back", () => {
  it("joins the origin's base path with the request path and query", async () => {
    installConfig(
      [{ id: "base", origins: [{ name: "a", address: `${ORIGIN}/status` }] }],
      [{ id: "base", hostname: "base.test", pools: ["base"] }],
    );
    const response = await send("http://base.test/418?x=1");
    expect(response.status).toBe(418);
    expect(await response.text()).toBe("status 418");
  });

  it("sends X-Forwarded-*, X-Request-Id, the hop count and the origin's headers, without hop-by-hop ones", async () => {
    installConfig(
      [{ id: "fwd", origins: [{ name: "a", address: ORIGIN, headers: { "X-Tenant": "blue" } }] }],
      [{ id: "fwd", hostname: "fwd.test", pools: ["fwd"] }],
    );
    const response = await send("http://fwd.test:8080/echo?q=1", {
      headers: {
        "cf-connecting-ip": "198.51.100.7",
        "x-forwarded-for": "203.0.113.1",
        "x-request-id": "req-42",
        connection: "x-private",
        "x-private": "secret",
        "x-tenant": "red",
      },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("req-42");
    const echo = (await response.json()) as Echo;
    expect(echo.path).toBe("/echo?q=1");
    expect(echo.headers["x-forwarded-for"]).toBe("203.0.113.1, 198.51.100.7");
    expect(echo.headers["x-forwarded-proto"]).toBe("http");
    expect(echo.headers["x-forwarded-host"]).toBe("fwd.test:8080");
    expect(echo.headers["x-request-id"]).toBe("req-42");
    expect(echo.headers["x-edge-lb-hops"]).toBe("1");
    expect(echo.headers["x-tenant"]).toBe("blue");
    expect(echo.headers["x-private"]).toBeUndefined();
  });

  it("generates a request id when the client sends none, and returns it", async () => {
    installConfig(
      [{ id: "rid", origins: [{ name: "a", address: ORIGIN }] }],
      [{ id: "rid", hostname: "rid.test", pools: ["rid"] }],
    );
    const response = await send("http://rid.test/echo");
    const echo = (await response.json()) as Echo;
    expect(echo.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get("x-request-id")).toBe(echo.headers["x-request-id"]);
  });

  it("passes redirects on instead of following them", async () => {
    installConfig(
      [{ id: "redir", origins: [{ name: "a", address: ORIGIN }] }],
      [{ id: "redir", hostname: "redir.test", pools: ["redir"] }],
    );
    const response = await send("http://redir.test/redirect");
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/status/200");
  });

  it("adds x-lb-pool, x-lb-origin and Server-Timing only when debugHeaders is on", async () => {
    installConfig(
      [{ id: "dbg", origins: [{ name: "only", address: ORIGIN }] }],
      [
        { id: "dbg-on", hostname: "on.test", pools: ["dbg"], debugHeaders: true },
        { id: "dbg-off", hostname: "off.test", pools: ["dbg"] },
      ],
    );
    const on = await send("http://on.test/");
    expect(on.headers.get("x-lb-pool")).toBe("dbg");
    expect(on.headers.get("x-lb-origin")).toBe("only");
    expect(on.headers.get("server-timing")).toMatch(/^lb;dur=\d+, origin;dur=\d+$/);
    const off = await send("http://off.test/");
    expect(off.headers.has("x-lb-pool")).toBe(false);
    expect(off.headers.has("x-lb-origin")).toBe(false);
    expect(off.headers.has("server-timing")).toBe(false);
  });
});
