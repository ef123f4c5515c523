/**
 * Health that tells the truth: per-origin state belongs to the origin's identity (a deleted pool,
 * or an origin that moved, leaves nothing behind), active checks end ejections, and no client can
 * eject origins. Real origins and a real `wrangler dev`; the edge (who answers) and the API
 * (/pools/{id}/health) are both checked.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PoolInput } from "../../worker/config/schema.ts";
import { createLoadBalancer, createPool, expectStatus } from "../helpers/admin-client.ts";
import { send } from "../helpers/http.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import { startOrigin, type TestOrigin } from "../helpers/origins.ts";
import { waitFor } from "../helpers/wait.ts";
import { errors, FAST_CHECK, healthOf, proxied, since, steadyLoad } from "./health-support.ts";

let lb: TestLoadBalancer;
const extra: TestOrigin[] = [];

beforeAll(async () => {
  lb = await startLoadBalancer({ origins: ["a", "b", "c", "d", "e", "f", "g"] });
});

afterAll(async () => {
  await Promise.all(extra.map((origin) => origin.stop()));
  await lb?.stop();
});

/** A pool of `origins` that ejects after 3 failures for 30 s; no active checks unless given. */
function ejectingPool(id: string, origins: readonly TestOrigin[], more: Partial<PoolInput> = {}): PoolInput {
  return {
    id,
    origins: origins.map((origin) => ({ name: origin.name, address: origin.url })),
    healthCheck: null,
    passiveHealth: { consecutiveFailures: 3, ejectionSeconds: 30 },
    ...more,
  };
}

/** Sends `count` GETs one after the other and returns status and answering origin of each. */
async function answersOf(
  host: string,
  count: number,
  path = "/x",
): Promise<{ status: number; origin: string | null }[]> {
  const answers: { status: number; origin: string | null }[] = [];
  for (let i = 0; i < count; i++) {
    const res = await send(lb.url, { host, path: `${path}${path.includes("?") ? "&" : "?"}i=${i}` });
    answers.push({ status: res.status, origin: res.header("x-origin") ?? null });
  }
  return answers;
}

/** Kills `victim` part-way through a steady load and waits until its PoolState ejected it. */
async function killUnderLoad(host: string, pool: string, victim: TestOrigin): Promise<void> {
  const answers = await steadyLoad(lb.url, host, {
    total: 60,
    concurrency: 2,
    before: async (index) => {
      if (index === 20) await victim.stop();
    },
  });
  expect(errors(answers)).toEqual([]);
  await waitFor(async () => (await healthOf(lb.api, pool))[victim.name]?.ejectedUntil != null, {
    what: `${victim.name} ejected`,
  });
}

describe("state belongs to the origin's identity", () => {
  it("a pool deleted and created again, with a new server under an old name, starts clean", async () => {
    const [a, b] = [lb.origin("a"), lb.origin("b")];
    await createPool(lb.api, ejectingPool("again", [a, b]));
    await createLoadBalancer(lb.api, { id: "again", hostname: "again.test", pools: ["again"] });
    await killUnderLoad("again.test", "again", b);

    expectStatus(await lb.api.delete("/load_balancers/again"), 204);
    expectStatus(await lb.api.delete("/pools/again"), 204);
    const newB = await startOrigin("b");
    extra.push(newB);
    a.set({ status: 503 });
    await createPool(lb.api, ejectingPool("again", [a, newB]));
    await createLoadBalancer(lb.api, { id: "again", hostname: "again.test", pools: ["again"] });

    const health = await healthOf(lb.api, "again");
    expect([health.a?.healthy, health.b?.healthy]).toEqual([true, true]);
    // a answers 503 and is retried; the new b must take every request, right away.
    await waitFor(async () => (await send(lb.url, { host: "again.test", path: "/warm" })).status === 200, {
      what: "the new pool serving",
      timeoutMs: 5000,
    });
    const answers = await answersOf("again.test", 20);
    expect(answers.filter((answer) => answer.status !== 200 || answer.origin !== "b")).toEqual([]);
    expect(proxied(newB).length).toBeGreaterThanOrEqual(20);
    a.reset();
  });

  it("an origin that keeps its name but gets a new address starts clean", async () => {
    const [c, d] = [lb.origin("c"), lb.origin("d")];
    await createPool(lb.api, ejectingPool("moved", [c, d]));
    await createLoadBalancer(lb.api, { id: "moved", hostname: "moved.test", pools: ["moved"] });
    await killUnderLoad("moved.test", "moved", d);

    const newD = await startOrigin("d");
    extra.push(newD);
    c.set({ status: 503 });
    const current = expectStatus(await lb.api.get<PoolInput & { version: number }>("/pools/moved"), 200).body;
    const moved = {
      ...current,
      origins: current.origins.map((origin) =>
        origin.name === "d" ? { ...origin, address: newD.url } : origin,
      ),
    };
    expectStatus(await lb.api.put("/pools/moved", moved), 200);
    await waitFor(async () => (await healthOf(lb.api, "moved")).d?.state === "healthy", {
      what: "new d healthy",
    });

    await waitFor(async () => (await send(lb.url, { host: "moved.test", path: "/warm" })).status === 200, {
      what: "the moved origin serving",
      timeoutMs: 5000,
    });
    const answers = await answersOf("moved.test", 20);
    expect(answers.filter((answer) => answer.status !== 200 || answer.origin !== "d")).toEqual([]);
    c.reset();
  });
});

describe("active checks end an ejection", () => {
  it("an origin killed under load and restarted is back as soon as it passes its checks", async () => {
    const [c, d] = [lb.origin("c"), lb.origin("d")];
    c.reset();
    d.reset();
    await d.restart();
    await createPool(lb.api, ejectingPool("uneject", [c, d], { healthCheck: FAST_CHECK }));
    await createLoadBalancer(lb.api, { id: "uneject", hostname: "uneject.test", pools: ["uneject"] });
    await waitFor(
      async () => Object.values(await healthOf(lb.api, "uneject")).every((o) => o.state === "healthy"),
      {
        what: "first verdicts",
      },
    );
    await killUnderLoad("uneject.test", "uneject", d);

    const restartedAt = Date.now();
    d.reset();
    await d.restart();
    // The ejection lasts 30 s; two passing checks (1 s apart) must end it well before.
    const bound =
      FAST_CHECK.healthyThreshold * (FAST_CHECK.intervalSeconds * 1000 + FAST_CHECK.timeoutMs) + 6000;
    await waitFor(
      async () => {
        const origin = (await healthOf(lb.api, "uneject")).d;
        return origin?.state === "healthy" && origin.ejectedUntil === null;
      },
      { what: "d healthy and not ejected in the health API", timeoutMs: bound },
    );
    const healthyMs = since(restartedAt);
    await waitFor(
      async () => {
        await answersOf("uneject.test", 2);
        return proxied(d).length > 0;
      },
      { what: "traffic back on d", timeoutMs: bound },
    );
    const trafficMs = since(restartedAt);
    const after = await answersOf("uneject.test", 10);
    expect(after.filter((answer) => answer.status !== 200)).toEqual([]);
    expect(new Set(after.map((answer) => answer.origin))).toEqual(new Set(["c", "d"]));
    console.log(JSON.stringify({ measured: "ejected origin restarted, 1 s checks", healthyMs, trafficMs }));
  });
});

describe("no client can eject origins", () => {
  it("an application's 500s do not take a one-origin pool down", async () => {
    const e = lb.origin("e");
    await createPool(lb.api, ejectingPool("app500", [e]));
    await createLoadBalancer(lb.api, { id: "app500", hostname: "app500.test", pools: ["app500"] });
    const failing = await answersOf("app500.test", 6, "/broken?status=500");
    expect(failing.map((answer) => answer.status)).toEqual([500, 500, 500, 500, 500, 500]);
    const after = await answersOf("app500.test", 5);
    expect(after).toEqual(Array.from({ length: 5 }, () => ({ status: 200, origin: "e" })));
    const health = await healthOf(lb.api, "app500");
    expect(health.e).toMatchObject({ state: "healthy", ejectedUntil: null });
  });

  it("with failOn 5xx, ejects within maxEjectionPercent and never the last usable origin", async () => {
    const [f, g, e] = [lb.origin("f"), lb.origin("g"), lb.origin("e")];
    await createPool(
      lb.api,
      ejectingPool("five", [f, g], { passiveHealth: { consecutiveFailures: 3, failOn: "5xx" } }),
    );
    await createLoadBalancer(lb.api, { id: "five", hostname: "five.test", pools: ["five"] });
    await answersOf("five.test", 10, "/broken?status=500");
    await waitFor(
      async () =>
        Object.values(await healthOf(lb.api, "five")).filter((o) => o.state === "ejected").length === 1,
      { what: "one of two ejected" },
    );
    const health = await healthOf(lb.api, "five");
    const left = health.f?.state === "ejected" ? "g" : "f";
    expect(Object.values(health).filter((o) => o.state === "ejected")).toHaveLength(1);
    const after = await answersOf("five.test", 6);
    expect(after).toEqual(Array.from({ length: 6 }, () => ({ status: 200, origin: left })));

    await createPool(
      lb.api,
      ejectingPool("solo5xx", [e], {
        passiveHealth: { consecutiveFailures: 3, failOn: "5xx", maxEjectionPercent: 100 },
      }),
    );
    await createLoadBalancer(lb.api, { id: "solo5xx", hostname: "solo5xx.test", pools: ["solo5xx"] });
    await answersOf("solo5xx.test", 6, "/broken?status=500");
    const solo = await answersOf("solo5xx.test", 3);
    expect(solo).toEqual(Array.from({ length: 3 }, () => ({ status: 200, origin: "e" })));
    expect((await healthOf(lb.api, "solo5xx")).e).toMatchObject({ state: "healthy", ejectedUntil: null });
  });

  it("failureRatePercent ejects an origin that fails half its requests, summed over the edge's reports", async () => {
    const [f, g] = [lb.origin("f"), lb.origin("g")];
    f.reset();
    g.reset();
    f.set({ status: 503 });
    await createPool(
      lb.api,
      ejectingPool("rate", [f, g], {
        passiveHealth: { consecutiveFailures: 1000, failureRatePercent: 50, minRequests: 10 },
      }),
    );
    await createLoadBalancer(lb.api, { id: "rate", hostname: "rate.test", pools: ["rate"] });
    // f's 503s are retried on g: every client gets g's 200 while f's failures are counted.
    const answers = await answersOf("rate.test", 30);
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    // The counts reach the PoolState with the edge's reports, which ride on its reads under traffic.
    await waitFor(
      async () => {
        expect((await answersOf("rate.test", 5)).filter((answer) => answer.status !== 200)).toEqual([]);
        return (await healthOf(lb.api, "rate")).f?.state === "ejected";
      },
      { what: "f ejected by failure rate", timeoutMs: 40_000, intervalMs: 200 },
    );
    const seen = proxied(f).length;
    const after = await answersOf("rate.test", 10);
    expect(after).toEqual(Array.from({ length: 10 }, () => ({ status: 200, origin: "g" })));
    expect(proxied(f).length).toBe(seen);
    f.reset();
  });
});
