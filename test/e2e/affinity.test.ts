/**
 * Cookie session affinity through the real runtime, against real origins that go down and come back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LoadBalancerInput } from "../../worker/config/schema.ts";
import { poolOf, servePool } from "../helpers/admin-client.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import { throughLb } from "../helpers/through-lb.ts";

let lb: TestLoadBalancer;

beforeAll(async () => {
  lb = await startLoadBalancer({ origins: ["a", "b", "c"] });
});

afterAll(async () => {
  await lb?.stop();
});

afterEach(async () => {
  for (const origin of lb.origins) await origin.restart();
});

async function setUp(
  id: string,
  affinity: NonNullable<LoadBalancerInput["sessionAffinity"]>,
): Promise<string> {
  await servePool(lb.api, `${id}.test`, poolOf(id, lb.origins), { sessionAffinity: affinity });
  return `${id}.test`;
}

/** One request with the cookie (if any): who answered and the affinity cookie it set. */
async function visit(
  host: string,
  cookie: string | null,
): Promise<{ origin: string; setCookie: string | null }> {
  const { res, echo } = await throughLb(lb.url, host, { headers: cookie ? { cookie } : {} });
  const header = res.headers["set-cookie"];
  const setCookie = Array.isArray(header) ? (header.find((c) => c.startsWith("__lb=")) ?? null) : null;
  return { origin: echo.origin, setCookie };
}

function pairOf(setCookie: string | null): string {
  if (!setCookie) throw new Error("expected an affinity cookie");
  return setCookie.split(";")[0]!;
}

describe("cookie affinity across origin failures", () => {
  it("keeps a client on its origin while others fail, and re-pins it when its own fails", async () => {
    const host = await setUp("sticky", { type: "cookie", onOriginFailure: "reselect" });
    const first = await visit(host, null);
    expect(first.setCookie).toMatch(/HttpOnly/);
    expect(first.setCookie).toMatch(/SameSite=Lax/);
    const pinned = first.origin;
    let cookie = pairOf(first.setCookie);
    for (let i = 0; i < 10; i++) expect((await visit(host, cookie)).origin).toBe(pinned);

    // Another origin going down does not disturb the pinned client.
    const other = lb.origins.find((o) => o.name !== pinned)!;
    await other.stop();
    for (let i = 0; i < 6; i++) {
      const again = await visit(host, cookie);
      expect(again.origin).toBe(pinned);
      expect(again.setCookie).toBeNull();
    }
    await other.restart();

    // The pinned origin going down: the request is retried elsewhere and the client re-pinned there.
    await lb.origin(pinned).stop();
    const moved = await visit(host, cookie);
    expect(moved.origin).not.toBe(pinned);
    cookie = pairOf(moved.setCookie);
    const repinned = moved.origin;

    // The new pin holds, also after the old origin is back (reselect does not go back).
    await lb.origin(pinned).restart();
    for (let i = 0; i < 8; i++) expect((await visit(host, cookie)).origin).toBe(repinned);
  });

  it("temporary: serves a pinned client elsewhere while its origin is down, then returns", async () => {
    const host = await setUp("temporary", { type: "cookie", onOriginFailure: "temporary" });
    const first = await visit(host, null);
    const pinned = first.origin;
    const cookie = pairOf(first.setCookie);

    await lb.origin(pinned).stop();
    const elsewhere = await visit(host, cookie);
    expect(elsewhere.origin).not.toBe(pinned);
    expect(elsewhere.setCookie).toBeNull();

    await lb.origin(pinned).restart();
    for (let i = 0; i < 6; i++) expect((await visit(host, cookie)).origin).toBe(pinned);
  });

  it("ignores a tampered cookie and pins the client afresh", async () => {
    const host = await setUp("tamper", { type: "cookie" });
    const first = await visit(host, null);
    const value = pairOf(first.setCookie).slice("__lb=".length);
    const [payload, signature] = value.split(".") as [string, string];
    const decoded = Buffer.from(payload, "base64url").toString("utf8");
    const target = lb.origins.map((o) => o.name).find((name) => !decoded.includes(`|${name}|`))!;
    const rewritten = Buffer.from(decoded.replace(/\|[a-c]\|/, `|${target}|`)).toString("base64url");
    const forged = await visit(host, `__lb=${rewritten}.${signature}`);
    // A fresh cookie replaces the forged one: the forgery was not trusted.
    expect(forged.setCookie).toMatch(/^__lb=/);
    expect(pairOf(forged.setCookie)).not.toBe(`__lb=${rewritten}.${signature}`);
  });
});
