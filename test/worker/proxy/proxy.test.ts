import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { installConfig, ORIGIN, problemOf, REFUSING, send } from "./support.ts";

describe("requests the proxy cannot serve", () => {
  it("answers 404 problem JSON for a host no load balancer serves", async () => {
    installConfig(
      [{ id: "p404", origins: [{ name: "a", address: ORIGIN }] }],
      [{ id: "known", hostname: "known.test", pools: ["p404"] }],
    );
    const response = await send("http://unknown.test/anything");
    expect(response.status).toBe(404);
    const problem = await problemOf(response);
    expect(problem.type).toContain("no-load-balancer");
    expect(problem.detail).toContain("unknown.test");
    expect(response.headers.get("x-request-id")).toBeTruthy();
  });

  it("answers 404 for a path outside every prefix of the host", async () => {
    installConfig(
      [{ id: "pfx", origins: [{ name: "a", address: ORIGIN }] }],
      [{ id: "api", hostname: "prefix.test", pathPrefix: "/api", pools: ["pfx"] }],
    );
    expect((await send("http://prefix.test/api/x")).status).toBe(200);
    expect((await send("http://prefix.test/other")).status).toBe(404);
  });

  it("answers 508 to a request that already passed through 5 times", async () => {
    installConfig(
      [{ id: "loop", origins: [{ name: "a", address: ORIGIN }] }],
      [{ id: "loop", hostname: "loop.test", pools: ["loop"] }],
    );
    const response = await send("http://loop.test/", { headers: { "x-edge-lb-hops": "5" } });
    expect(response.status).toBe(508);
    expect((await problemOf(response)).type).toContain("loop-detected");
    expect((await send("http://loop.test/", { headers: { "x-edge-lb-hops": "4" } })).status).toBe(200);
  });

  it("answers 502 problem JSON when the origin refuses connections", async () => {
    installConfig(
      [{ id: "refuse", origins: [{ name: "a", address: REFUSING }] }],
      [{ id: "refuse", hostname: "refuse.test", pools: ["refuse"] }],
    );
    const response = await send("http://refuse.test/");
    expect(response.status).toBe(502);
    expect((await problemOf(response)).type).toContain("origin-unreachable");
  });

  it("answers 503 with Retry-After when no origin is usable and there is no fallback", async () => {
    installConfig(
      [
        {
          id: "off",
          origins: [
            { name: "a", address: ORIGIN, enabled: false },
            { name: "b", address: ORIGIN, weight: 0 },
          ],
        },
        { id: "disabled", enabled: false, origins: [{ name: "a", address: ORIGIN }] },
      ],
      [{ id: "none", hostname: "none.test", pools: ["off", "disabled"] }],
    );
    const response = await send("http://none.test/");
    expect(response.status).toBe(503);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await problemOf(response)).type).toContain("no-healthy-origin");
  });

  it("answers 504 when the origin sends no response within the timeout", async () => {
    installConfig(
      [{ id: "slow", origins: [{ name: "a", address: ORIGIN }] }],
      [{ id: "slow", hostname: "slow.test", pools: ["slow"], timeouts: { requestMs: 200 } }],
    );
    const response = await send("http://slow.test/slow");
    expect(response.status).toBe(504);
    expect((await problemOf(response)).type).toContain("origin-timeout");
  });
});

describe("choosing where a request goes", () => {
  it("fails over to the next pool when the first has no usable origin", async () => {
    installConfig(
      [
        { id: "first", origins: [{ name: "a", address: ORIGIN, enabled: false }] },
        { id: "second", origins: [{ name: "b", address: ORIGIN }] },
      ],
      [{ id: "fo", hostname: "failover.test", pools: ["first", "second"], debugHeaders: true }],
    );
    const response = await send("http://failover.test/");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-lb-pool")).toBe("second");
    expect(response.headers.get("x-lb-origin")).toBe("b");
  });

  it("serves from the fallback pool when no pool can", async () => {
    installConfig(
      [
        { id: "main", origins: [{ name: "a", address: ORIGIN, enabled: false }] },
        { id: "spare", origins: [{ name: "s", address: ORIGIN }] },
      ],
      [{ id: "fb", hostname: "fallback.test", pools: ["main"], fallbackPool: "spare", debugHeaders: true }],
    );
    const response = await send("http://fallback.test/");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-lb-pool")).toBe("spare");
  });

  it("uses backup origins only when no primary origin is usable", async () => {
    installConfig(
      [
        {
          id: "bk",
          origins: [
            { name: "primary", address: ORIGIN },
            { name: "backup", address: ORIGIN, backup: true },
          ],
        },
      ],
      [{ id: "bk", hostname: "backup.test", pools: ["bk"], debugHeaders: true }],
    );
    for (let i = 0; i < 4; i++) {
      expect((await send("http://backup.test/")).headers.get("x-lb-origin")).toBe("primary");
    }
  });

  it("rotates over the origins by weight", async () => {
    installConfig(
      [
        {
          id: "rr",
          origins: [
            { name: "a", address: ORIGIN, weight: 2 },
            { name: "b", address: ORIGIN },
          ],
        },
      ],
      [{ id: "rr", hostname: "rr.test", pools: ["rr"], debugHeaders: true }],
    );
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push((await send("http://rr.test/")).headers.get("x-lb-origin") ?? "-");
    expect(seen).toEqual(["a", "b", "a", "a", "b", "a"]);
  });
});

describe("consistent hashing", () => {
  it("sends every request with the same hashOn key to the same origin", async () => {
    installConfig(
      [
        {
          id: "hash",
          algorithm: "hash",
          hashOn: "header:x-user",
          origins: ["a", "b", "c", "d"].map((name) => ({ name, address: ORIGIN })),
        },
      ],
      [{ id: "hash", hostname: "hash.test", pools: ["hash"], debugHeaders: true }],
    );
    const originFor = async (user: string) =>
      (await send("http://hash.test/", { headers: { "x-user": user } })).headers.get("x-lb-origin");
    const chosen = new Set<string | null>();
    for (let user = 0; user < 10; user++) {
      const first = await originFor(`user-${user}`);
      chosen.add(first);
      for (let again = 0; again < 3; again++) expect(await originFor(`user-${user}`)).toBe(first);
    }
    expect(chosen.size).toBeGreaterThan(1);
  });
});

describe("the management API and ADMIN_HOSTNAME", () => {
  it("answers /__lb/api on every hostname when ADMIN_HOSTNAME is not set", async () => {
    const response = await send("https://anything.test/__lb/api/v1/pools");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain("Bearer");
  });

  it("never proxies a percent-encoded /__lb path, even where a load balancer serves every path", async () => {
    installConfig(
      [{ id: "all", origins: [{ name: "a", address: ORIGIN }] }],
      [{ id: "all", hostname: "all.test", pools: ["all"], debugHeaders: true }],
    );
    for (const path of ["/%5F%5Flb/api/v1/pools", "/%5f%5flb/metrics", "/_%5Flb"]) {
      const response = await send(`https://all.test${path}`, { headers: { authorization: "Bearer x" } });
      await response.arrayBuffer();
      expect(response.headers.get("x-lb-pool"), path).toBeNull();
      // The management side answers it: the dashboard (200), a token check (401) or 404.
      expect([200, 401, 404], path).toContain(response.status);
    }
  });

  it("answers /__lb only on ADMIN_HOSTNAME; elsewhere 404, and nothing reaches an origin", async () => {
    installConfig(
      [{ id: "site", origins: [{ name: "a", address: ORIGIN }] }],
      [{ id: "site", hostname: "site.test", pools: ["site"], debugHeaders: true }],
    );
    const bindings = { ...env, ADMIN_HOSTNAME: "Admin.Test" };
    const admin = await send("https://admin.test/__lb/api/v1/pools", {}, bindings);
    expect(admin.status).toBe(401);

    const paths = ["/__lb/api/v1/pools", "/__lb", "/__lb/", "/__lb/metrics", "/__lb/healthz"];
    // The same paths percent-encoded: routing reads them as /__lb, so they are never proxied either.
    const encoded = ["/%5F%5Flb/api/v1/pools", "/%5f_lb", "/_%5Flb/metrics", "/%5F%5F%6C%62/healthz"];
    for (const path of [...paths, ...encoded]) {
      const closed = await send(
        `https://site.test${path}`,
        { headers: { authorization: "Bearer x" } },
        bindings,
      );
      expect(closed.status, path).toBe(404);
      expect(closed.headers.get("x-lb-pool"), path).toBeNull();
      expect(closed.headers.get("content-type"), path).toContain("application/problem+json");
    }
    const elsewhere = await send("https://site.test/__lbx", {}, bindings);
    expect(elsewhere.headers.get("x-lb-pool")).toBe("site");
  });
});

describe("routing on the normalised path", () => {
  it("sends /%61dmin to the /admin load balancer, through the proxy and in explain alike", async () => {
    installConfig(
      [
        { id: "pub", origins: [{ name: "a", address: ORIGIN }] },
        { id: "adm", origins: [{ name: "a", address: ORIGIN }] },
      ],
      [
        { id: "pub", hostname: "norm.test", pools: ["pub"], debugHeaders: true },
        { id: "adm", hostname: "norm.test", pathPrefix: "/admin", pools: ["adm"], debugHeaders: true },
      ],
    );
    for (const path of ["/admin", "/%61dmin", "/%61%64min/users", "/adm%69n/x"]) {
      const response = await send(`http://norm.test${path}`);
      await response.arrayBuffer();
      expect(response.headers.get("x-lb-pool"), path).toBe("adm");
    }
    const other = await send("http://norm.test/admin%2Fx");
    await other.arrayBuffer();
    expect(other.headers.get("x-lb-pool")).toBe("pub");
  });
});
