/**
 * Consistent hashing by a request header through the real runtime: every request with the same value
 * reaches the same origin, and taking one origin out moves only the keys that lived on it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectStatus, poolOf, servePool } from "../helpers/admin-client.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import { throughLb } from "../helpers/through-lb.ts";

let lb: TestLoadBalancer;

const HOST = "hash.test";
const USERS = Array.from({ length: 60 }, (_, i) => `user-${i}`);

beforeAll(async () => {
  lb = await startLoadBalancer({ origins: ["a", "b", "c"] });
  await servePool(lb.api, HOST, {
    ...poolOf("hashed", lb.origins, { algorithm: "hash" }),
    hashOn: "header:x-user",
  });
});

afterAll(async () => {
  await lb?.stop();
});

async function homes(): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const user of USERS) {
    map.set(user, (await throughLb(lb.url, HOST, { headers: { "x-user": user } })).echo.origin);
  }
  return map;
}

async function setEnabled(name: string, enabled: boolean): Promise<void> {
  const pool = expectStatus(
    await lb.api.get<{ origins: { name: string; enabled: boolean }[] }>("/pools/hashed"),
    200,
  );
  const next = pool.body.origins.map((origin) => (origin.name === name ? { ...origin, enabled } : origin));
  expectStatus(await lb.api.patch("/pools/hashed", { origins: next }), 200);
}

describe("hash by header", () => {
  it("sends every request with the same header value to the same origin, spread over all origins", async () => {
    const first = await homes();
    for (let round = 0; round < 2; round++) expect(await homes()).toEqual(first);
    const perOrigin = new Map<string, number>();
    for (const origin of first.values()) perOrigin.set(origin, (perOrigin.get(origin) ?? 0) + 1);
    expect([...perOrigin.keys()].sort()).toEqual(["a", "b", "c"]);
    // 60 keys over 3 equal origins: each gets 20 on average; fewer than 8 would be a 3.5-sigma event.
    for (const count of perOrigin.values()) expect(count).toBeGreaterThanOrEqual(8);
  });

  it("moves only the keys of an origin taken out, and brings them back when it returns", async () => {
    const before = await homes();
    await setEnabled("b", false);
    const during = await homes();
    let moved = 0;
    for (const user of USERS) {
      if (before.get(user) === "b") {
        expect(during.get(user)).not.toBe("b");
        moved++;
      } else {
        expect(during.get(user)).toBe(before.get(user));
      }
    }
    const measuredShare = moved / USERS.length;
    expect(measuredShare).toBeGreaterThan(0);
    expect(measuredShare).toBeLessThan(0.6);
    await setEnabled("b", true);
    expect(await homes()).toEqual(before);
  });
});
