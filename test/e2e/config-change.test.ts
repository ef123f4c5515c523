import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLoadBalancer, createPool, expectStatus, poolOf, putConfig } from "../helpers/admin-client.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import type { TestOrigin } from "../helpers/origins.ts";
import { originSequence, tally, throughLb } from "../helpers/through-lb.ts";
import { waitFor } from "../helpers/wait.ts";

const HOST = "live.test";
/** Well above the edge's 2 s config refresh; the test asserts only that the change lands. */
const CHANGE_DEADLINE_MS = 15_000;

let lb: TestLoadBalancer;
let a: TestOrigin;
let b: TestOrigin;
let c: TestOrigin;

/** Waits until `name` answers a request for HOST and says, in the test's annotations, how long it took. */
async function untilAnswers(name: string, annotate: (message: string) => Promise<unknown>): Promise<void> {
  const started = performance.now();
  await waitFor(async () => (await throughLb(lb.url, HOST)).echo.origin === name, {
    timeoutMs: CHANGE_DEADLINE_MS,
    what: `origin ${name} answering for ${HOST}`,
  });
  await annotate(
    `origin ${name} answered ${((performance.now() - started) / 1000).toFixed(2)} s after the write`,
  );
}

beforeAll(async () => {
  lb = await startLoadBalancer({ origins: ["a", "b", "c"] });
  [a, b, c] = lb.origins as [TestOrigin, TestOrigin, TestOrigin];
  await createPool(lb.api, poolOf("live", [a, b], { weights: [1, 0] }));
  await createPool(lb.api, poolOf("other", [c]));
  await createLoadBalancer(lb.api, { id: "live", hostname: HOST, pools: ["live"] });
});

afterAll(async () => {
  await lb?.stop();
});

describe("configuration changes reach the proxy", () => {
  it("serves from the configured origin before any change", async () => {
    expect(tally(await originSequence(lb.url, HOST, 10))).toEqual({ a: 10 });
  });

  it("moves traffic when origin weights change", async ({ annotate }) => {
    expectStatus(
      await lb.api.patch("/pools/live", {
        origins: [
          { name: "a", address: a.url, weight: 0 },
          { name: "b", address: b.url, weight: 1 },
        ],
      }),
      200,
    );

    await untilAnswers("b", annotate);
    expect(tally(await originSequence(lb.url, HOST, 10))).toEqual({ b: 10 });
  });

  it("moves traffic when the load balancer switches pools", async ({ annotate }) => {
    expectStatus(await lb.api.patch("/load_balancers/live", { pools: ["other"] }), 200);

    await untilAnswers("c", annotate);
    expect(tally(await originSequence(lb.url, HOST, 10))).toEqual({ c: 10 });
  });

  it("moves traffic when the whole configuration is replaced", async ({ annotate }) => {
    await putConfig(lb.api, {
      pools: [poolOf("only-a", [a])],
      loadBalancers: [{ id: "live", hostname: HOST, pools: ["only-a"] }],
    });

    await untilAnswers("a", annotate);
    expect(tally(await originSequence(lb.url, HOST, 10))).toEqual({ a: 10 });
    const pools = expectStatus(await lb.api.get<{ items: { id: string }[] }>("/pools"), 200).body;
    expect(pools.items.map((pool) => pool.id)).toEqual(["only-a"]);
  });

  it("stops serving a hostname whose load balancer was deleted", async () => {
    expectStatus(await lb.api.delete("/load_balancers/live"), 204);

    await waitFor(
      async () => {
        const res = await throughLb(lb.url, HOST).catch((error: Error) => error);
        return res instanceof Error && res.message.includes("got 404");
      },
      { timeoutMs: CHANGE_DEADLINE_MS, what: `404 for ${HOST}` },
    );
  });
});
