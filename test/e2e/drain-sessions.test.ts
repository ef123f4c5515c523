/**
 * Drain that keeps sessions (`sessionAffinity.drainSeconds`) through the real runtime and real
 * origins: a client pinned by its affinity cookie keeps reaching a drained origin until the drain
 * time is up, a new client never reaches it, and the health API and explain say so meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OriginHealth } from "../../worker/health/types.ts";
import { adminClient, expectStatus, poolOf, servePool } from "../helpers/admin-client.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import { throughLb } from "../helpers/through-lb.ts";
import { waitFor } from "../helpers/wait.ts";

// Long enough that the checks made while the drain lasts finish inside it on a busy machine (they
// take a few seconds); the test then waits for its end.
const DRAIN_SECONDS = 15;
const HOST = "drain.test";

let lb: TestLoadBalancer;

beforeAll(async () => {
  lb = await startLoadBalancer({ origins: ["a", "b", "c"] });
});

afterAll(async () => {
  await lb?.stop();
});

/** One request with the cookie (if any): who answered and the affinity cookie it set. */
async function visit(cookie: string | null): Promise<{ origin: string; setCookie: string | null }> {
  const { res, echo } = await throughLb(lb.url, HOST, { headers: cookie ? { cookie } : {} });
  expect(res.status).toBe(200);
  const header = res.headers["set-cookie"];
  const setCookie = Array.isArray(header) ? (header.find((c) => c.startsWith("__lb=")) ?? null) : null;
  return { origin: echo.origin, setCookie };
}

function pairOf(setCookie: string | null): string {
  if (!setCookie) throw new Error("expected an affinity cookie");
  return setCookie.split(";")[0]!;
}

async function originHealth(name: string): Promise<OriginHealth> {
  const reader = adminClient(lb.url, lb.readToken);
  const health = expectStatus(await reader.get<{ origins: OriginHealth[] }>("/pools/drain/health"), 200);
  return health.body.origins.find((origin) => origin.name === name)!;
}

describe("drain with sessionAffinity.drainSeconds", () => {
  it("keeps pinned clients on the drained origin for drainSeconds, sends new clients elsewhere, then moves them", async () => {
    await servePool(lb.api, HOST, poolOf("drain", lb.origins), {
      sessionAffinity: { type: "cookie", drainSeconds: DRAIN_SECONDS },
    });
    const first = await visit(null);
    const drained = first.origin;
    const cookie = pairOf(first.setCookie);
    expect((await visit(cookie)).origin).toBe(drained);

    const before = Date.now();
    const drain = await lb.api.post<{ weight: number; drainingUntil?: string }>(
      `/pools/drain/origins/${drained}/drain`,
      null,
    );
    const after = Date.now();
    expect(expectStatus(drain, 200).body.weight).toBe(0);

    // The health API shows until when sessions may still reach it: drainSeconds after the drain began.
    const health = await originHealth(drained);
    expect(health.state).toBe("draining");
    expect(health.drainingUntil).toBeDefined();
    const until = Date.parse(health.drainingUntil!);
    expect(until).toBeGreaterThanOrEqual(before + DRAIN_SECONDS * 1000 - 1000);
    expect(until).toBeLessThanOrEqual(after + DRAIN_SECONDS * 1000 + 1000);

    // Within the drain time: the pinned client stays, without a new cookie; new clients never get there.
    const pinnedVisits: string[] = [];
    const newVisits: string[] = [];
    for (let i = 0; i < 6; i++) {
      const pinned = await visit(cookie);
      pinnedVisits.push(pinned.origin);
      expect(pinned.setCookie).toBeNull();
      newVisits.push((await visit(null)).origin);
    }
    // All of it happened within the drain time (12 local requests take far less than drainSeconds).
    expect(Date.now()).toBeLessThan(until);
    expect(new Set(pinnedVisits)).toEqual(new Set([drained]));
    expect(newVisits).not.toContain(drained);
    expect(new Set(newVisits).size).toBe(2);

    // explain tells that the request goes there as a drain session.
    const reader = adminClient(lb.url, lb.readToken);
    const query = new URLSearchParams({ url: `http://${HOST}/`, "header.cookie": cookie });
    const explained = expectStatus(
      await reader.get<{
        affinity: { outcome: string; reason: string } | null;
        origin: { name: string } | null;
      }>(`/explain?${query}`),
      200,
    ).body;
    expect(Date.now()).toBeLessThan(until);
    expect(explained.affinity?.outcome).toBe("draining");
    expect(explained.origin?.name).toBe(drained);

    // Once the drain time is up, the pinned client moves (and is re-pinned), and health stops showing it.
    const moved = await waitFor(
      async () => {
        const next = await visit(cookie);
        return next.origin !== drained && next;
      },
      { timeoutMs: (DRAIN_SECONDS + 10) * 1000, intervalMs: 250, what: "the pinned client moving" },
    );
    // Not before the drain time is up, give or take the edge's snapshot age: an edge whose snapshot
    // predates the drain counts it from that snapshot, so sessions may end slightly early, never late.
    expect(Date.now()).toBeGreaterThanOrEqual(until - 1500);
    expect(moved.setCookie).toMatch(/^__lb=/);
    // The edge may have moved the client up to that much early; the API ends the drain at its time.
    if (Date.now() <= until) await new Promise((resolve) => setTimeout(resolve, until - Date.now() + 50));
    const later = await originHealth(drained);
    expect(later.drainingUntil).toBeUndefined();
    expect(later.state).toBe("healthy");
  });

  it("keeps header-affinity keys on their drained home origin for drainSeconds, then moves them", async () => {
    const host = "header-drain.test";
    await servePool(lb.api, host, poolOf("hdrain", lb.origins), {
      sessionAffinity: { type: "header", headerName: "x-user", drainSeconds: DRAIN_SECONDS },
    });
    const as = async (user: string) =>
      (await throughLb(lb.url, host, { headers: { "x-user": user } })).echo.origin;
    const home = await as("user-1");
    expect(await as("user-1")).toBe(home);
    const users = Array.from({ length: 20 }, (_, i) => `user-${i + 2}`);
    const before = new Map<string, string>();
    for (const user of users) before.set(user, await as(user));

    expectStatus(await lb.api.post(`/pools/hdrain/origins/${home}/drain`, null), 200);
    const reader = adminClient(lb.url, lb.readToken);
    const health = expectStatus(await reader.get<{ origins: OriginHealth[] }>("/pools/hdrain/health"), 200);
    const until = Date.parse(health.body.origins.find((o) => o.name === home)!.drainingUntil!);

    // Within the drain time: keys at home on the drained origin stay; no other key is sent there.
    const kept: string[] = [];
    for (let i = 0; i < 5; i++) kept.push(await as("user-1"));
    const elsewhere = users.filter((user) => before.get(user) !== home);
    expect(elsewhere.length).toBeGreaterThan(0);
    for (const user of elsewhere) expect(await as(user)).not.toBe(home);
    expect(Date.now()).toBeLessThan(until);
    expect(new Set(kept)).toEqual(new Set([home]));

    const moved = await waitFor(async () => (await as("user-1")) !== home, {
      timeoutMs: (DRAIN_SECONDS + 10) * 1000,
      intervalMs: 250,
      what: "the key moving off the drained origin",
    });
    expect(moved).toBe(true);
    // Not before the drain time is up, give or take the edge's snapshot age: an edge whose snapshot
    // predates the drain counts it from that snapshot, so sessions may end slightly early, never late.
    expect(Date.now()).toBeGreaterThanOrEqual(until - 1500);
  });
});
