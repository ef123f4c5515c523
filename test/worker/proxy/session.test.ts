import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { importAffinityKey, signAffinityCookie } from "../../../worker/affinity/cookie.ts";
import type { LoadBalancerInput, PoolInput } from "../../../worker/config/schema.ts";
import { affinitySigningKey } from "../../../worker/edge/affinity-key.ts";
import { installConfig, ORIGIN, REFUSING, send } from "./support.ts";

type Affinity = NonNullable<LoadBalancerInput["sessionAffinity"]>;

/** A pool of three origins on the same server, told apart by the `x-lb-origin` debug header. */
function threeOrigins(id: string, refusing: readonly string[] = []): PoolInput {
  return {
    id,
    origins: ["a", "b", "c"].map((name) => ({ name, address: refusing.includes(name) ? REFUSING : ORIGIN })),
  };
}

function install(id: string, affinity: Affinity, refusing: readonly string[] = []): string {
  installConfig(
    [threeOrigins(id, refusing)],
    [{ id, hostname: `${id}.test`, pools: [id], sessionAffinity: affinity, debugHeaders: true }],
  );
  return `http://${id}.test/`;
}

/** The `name=value` part of a Set-Cookie header, ready to send back in `Cookie`. */
function cookiePair(response: Response): string {
  const header = response.headers.get("set-cookie");
  if (!header) throw new Error("expected a Set-Cookie header");
  return header.split(";")[0]!;
}

async function originOf(
  url: string,
  init: RequestInit = {},
): Promise<{ origin: string; setCookie: string | null }> {
  const response = await send(url, init);
  expect(response.status).toBe(200);
  await response.arrayBuffer();
  return { origin: response.headers.get("x-lb-origin")!, setCookie: response.headers.get("set-cookie") };
}

describe("cookie affinity", () => {
  it("pins a new client with a signed HttpOnly, SameSite=Lax cookie and keeps it on that origin", async () => {
    const url = install("ck-pin", { type: "cookie", ttlSeconds: 3600 });
    const first = await send(url);
    await first.arrayBuffer();
    const setCookie = first.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^__lb=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; /);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Lax");
    expect(setCookie).toContain("Max-Age=3600");
    expect(setCookie).toContain("Path=/");
    expect(setCookie).not.toContain("Secure");
    const pinned = first.headers.get("x-lb-origin");
    const cookie = cookiePair(first);
    for (let i = 0; i < 12; i++) {
      const next = await originOf(url, { headers: { cookie: `other=1; ${cookie}` } });
      expect(next.origin).toBe(pinned);
      expect(next.setCookie).toBeNull();
    }
    // Without the cookie, round robin moves on to the other origins.
    const free = new Set<string>();
    for (let i = 0; i < 6; i++) free.add((await originOf(url)).origin);
    expect(free.size).toBe(3);
  });

  it("marks the cookie Secure on https and scopes it to the load balancer's path", async () => {
    installConfig(
      [threeOrigins("ck-secure")],
      [
        {
          id: "ck-secure",
          hostname: "secure.test",
          pathPrefix: "/app",
          pools: ["ck-secure"],
          sessionAffinity: { type: "cookie" },
        },
      ],
    );
    const response = await send("https://secure.test/app/x");
    await response.arrayBuffer();
    expect(response.headers.get("set-cookie")).toContain("Secure");
    expect(response.headers.get("set-cookie")).toContain("Path=/app;");
  });

  it("ignores a forged, altered, expired or foreign cookie and pins the client afresh", async () => {
    const url = install("ck-forged", { type: "cookie" });
    const first = await send(url);
    await first.arrayBuffer();
    const valid = cookiePair(first).slice("__lb=".length);
    const [payload, signature] = valid.split(".") as [string, string];
    const key = (await affinitySigningKey(env, Date.now()))!;
    const now = Date.now();
    const pin = { loadBalancerId: "ck-forged", poolId: "ck-forged", origin: "a" };
    const forged = [
      `${payload}.${signature.slice(0, -2)}AA`,
      `${btoa("1|ck-forged|ck-forged|a|9999999999").replace(/=+$/, "")}.${signature}`,
      "garbage",
      await signAffinityCookie(key, { ...pin, expiresAt: now - 1000 }),
      await signAffinityCookie(key, { ...pin, loadBalancerId: "another", expiresAt: now + 60_000 }),
    ];
    for (const value of forged) {
      const response = await send(url, { headers: { cookie: `__lb=${value}` } });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      expect(response.headers.get("set-cookie")).toMatch(/^__lb=/);
    }
  });

  it("keeps honouring a cookie after ADMIN_TOKEN is rotated: the key owes nothing to any token", async () => {
    const url = install("ck-rotate", { type: "cookie" });
    const first = await send(url);
    await first.arrayBuffer();
    const pinned = first.headers.get("x-lb-origin");
    const cookie = cookiePair(first);
    for (const adminToken of ["rotated-admin-token", "another-one", undefined]) {
      const bindings = { ...env, ADMIN_TOKEN: adminToken } as typeof env;
      for (let i = 0; i < 4; i++) {
        const response = await send(url, { headers: { cookie } }, bindings);
        await response.arrayBuffer();
        expect(response.headers.get("x-lb-origin"), String(adminToken)).toBe(pinned);
        expect(response.headers.get("set-cookie"), String(adminToken)).toBeNull();
      }
    }
  });

  it("honours a cookie signed with AFFINITY_SECRET when it is set, and no other", async () => {
    const url = install("ck-secret", { type: "cookie" });
    const bindings = { ...env, AFFINITY_SECRET: "a-separate-affinity-secret" };
    const key = await importAffinityKey(new TextEncoder().encode(bindings.AFFINITY_SECRET));
    const pin = { loadBalancerId: "ck-secret", poolId: "ck-secret", expiresAt: Date.now() + 82_800_000 };
    const toB = await signAffinityCookie(key, { ...pin, origin: "b" });
    for (let i = 0; i < 6; i++) {
      const response = await send(url, { headers: { cookie: `__lb=${toB}` } }, bindings);
      await response.arrayBuffer();
      expect(response.headers.get("x-lb-origin")).toBe("b");
      expect(response.headers.get("set-cookie")).toBeNull();
    }
    // The same cookie means nothing to a Worker signing with its stored key.
    const adminKeyed = await send(url, { headers: { cookie: `__lb=${toB}` } });
    await adminKeyed.arrayBuffer();
    expect(adminKeyed.headers.get("set-cookie")).toMatch(/^__lb=/);
  });

  it("reselect: re-pins to the origin that answered when the pinned one fails", async () => {
    const url = install("ck-reselect", { type: "cookie", onOriginFailure: "reselect" });
    const first = await send(url);
    await first.arrayBuffer();
    const pinned = first.headers.get("x-lb-origin")!;
    const cookie = cookiePair(first);
    install("ck-reselect", { type: "cookie", onOriginFailure: "reselect" }, [pinned]);
    const moved = await send(url, { headers: { cookie } });
    expect(moved.status).toBe(200);
    await moved.arrayBuffer();
    const next = moved.headers.get("x-lb-origin")!;
    expect(next).not.toBe(pinned);
    const repinned = cookiePair(moved);
    expect(repinned).not.toBe(cookie);
    for (let i = 0; i < 6; i++) {
      const again = await originOf(url, { headers: { cookie: repinned } });
      expect(again.origin).toBe(next);
    }
  });

  it("temporary: serves elsewhere while the pinned origin fails, then returns to it", async () => {
    const affinity: Affinity = { type: "cookie", onOriginFailure: "temporary" };
    const url = install("ck-temp", affinity);
    const first = await send(url);
    await first.arrayBuffer();
    const pinned = first.headers.get("x-lb-origin")!;
    const cookie = cookiePair(first);
    install("ck-temp", affinity, [pinned]);
    const elsewhere = await originOf(url, { headers: { cookie } });
    expect(elsewhere.origin).not.toBe(pinned);
    expect(elsewhere.setCookie).toBeNull();
    install("ck-temp", affinity);
    const back = await originOf(url, { headers: { cookie } });
    expect(back.origin).toBe(pinned);
  });

  it("re-pins to the pool and origin that answered when a retry leaves the pinned pool", async () => {
    for (const mode of ["reselect", "temporary"] as const) {
      const id = `ck-cross-${mode}`;
      installConfig(
        [
          { id: `${id}-a`, origins: [{ name: "a1", address: REFUSING }] },
          { id: `${id}-b`, origins: [{ name: "b1", address: ORIGIN }] },
        ],
        [
          {
            id,
            hostname: `${id}.test`,
            pools: [`${id}-a`, `${id}-b`],
            sessionAffinity: { type: "cookie", onOriginFailure: mode },
            debugHeaders: true,
          },
        ],
      );
      const key = (await affinitySigningKey(env, Date.now()))!;
      const pin = { loadBalancerId: id, poolId: `${id}-a`, origin: "a1", expiresAt: Date.now() + 82_800_000 };
      const response = await send(`http://${id}.test/`, {
        headers: { cookie: `__lb=${await signAffinityCookie(key, pin)}` },
      });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      expect(response.headers.get("x-lb-pool")).toBe(`${id}-b`);
      const setCookie = response.headers.get("set-cookie");
      if (mode === "temporary") {
        expect(setCookie).toBeNull();
        continue;
      }
      const payload = setCookie!.slice("__lb=".length).split(".")[0]!;
      const decoded = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
      expect(decoded).toContain(`|${id}-b|b1|`);
    }
  });

  it("issues no cookie when the origin answers with a server error", async () => {
    installConfig(
      [{ id: "ck-5xx", origins: [{ name: "a", address: ORIGIN }] }],
      [{ id: "ck-5xx", hostname: "ck-5xx.test", pools: ["ck-5xx"], sessionAffinity: { type: "cookie" } }],
    );
    const response = await send("http://ck-5xx.test/status/500");
    expect(response.status).toBe(500);
    await response.arrayBuffer();
    expect(response.headers.get("set-cookie")).toBeNull();
  });
});

describe("header and ip affinity", () => {
  it("sends every request with the same header value to the same origin, without a cookie", async () => {
    const url = install("hdr", { type: "header", headerName: "x-user" });
    const homes = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      for (let user = 0; user < 12; user++) {
        const { origin, setCookie } = await originOf(url, { headers: { "x-user": `user-${user}` } });
        expect(setCookie).toBeNull();
        if (round === 0) homes.set(`user-${user}`, origin);
        else expect(origin).toBe(homes.get(`user-${user}`));
      }
    }
    expect(new Set(homes.values()).size).toBeGreaterThan(1);
  });

  it("sends every request from one client address to the same origin", async () => {
    const url = install("ip", { type: "ip" });
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) {
      seen.add((await originOf(url, { headers: { "cf-connecting-ip": "203.0.113.7" } })).origin);
    }
    expect(seen.size).toBe(1);
  });
});
