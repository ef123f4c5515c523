import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLoadBalancer, createPool, poolOf, servePool } from "../helpers/admin-client.ts";
import { send } from "../helpers/http.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import { startOrigin, type TestOrigin } from "../helpers/origins.ts";
import { expectProblem } from "../helpers/problem.ts";
import { throughLb } from "../helpers/through-lb.ts";

let lb: TestLoadBalancer;
let down: TestOrigin;
let slow: TestOrigin;

beforeAll(async () => {
  lb = await startLoadBalancer({ origins: ["down", "slow"] });
  [down, slow] = lb.origins as [TestOrigin, TestOrigin];
  await servePool(lb.api, "down.test", poolOf("down", [down]));
  await servePool(lb.api, "slow.test", poolOf("slow", [slow]), { timeouts: { requestMs: 1000 } });
});

afterAll(async () => {
  await lb?.stop();
});

describe("proxy errors are problem responses", () => {
  it("404 for a hostname no load balancer serves", async () => {
    expectProblem(await send(lb.url, { host: "nobody.test", path: "/anything" }), 404);
  });

  it("502 when the origin refuses connections, and service again once it is back", async () => {
    await down.stop();
    try {
      expectProblem(await send(lb.url, { host: "down.test", path: "/refused" }), 502);
    } finally {
      await down.restart();
    }

    const { echo } = await throughLb(lb.url, "down.test", { path: "/back" });
    expect(echo.origin).toBe("down");
  });

  it("a GET that an origin refuses is retried on another origin", async () => {
    const gone = await startOrigin("gone");
    const alive = await startOrigin("alive");
    lb.origins.push(gone, alive);
    await gone.stop();
    await servePool(lb.api, "half-down.test", poolOf("half-down", [gone, alive]));

    for (let i = 0; i < 6; i++) {
      const { echo } = await throughLb(lb.url, "half-down.test", { path: `/retry/${i}` });
      expect(echo.origin).toBe("alive");
    }
    expect(alive.count()).toBe(6);
  });

  it("503 with Retry-After when no origin of the pool may take traffic", async () => {
    await createPool(lb.api, {
      id: "disabled",
      origins: [{ name: "off", address: down.url, enabled: false }],
      healthCheck: null,
    });
    await createLoadBalancer(lb.api, { id: "disabled", hostname: "disabled.test", pools: ["disabled"] });

    const res = await send(lb.url, { host: "disabled.test", path: "/" });

    expectProblem(res, 503);
    expect(res.header("retry-after")).toMatch(/^\d+$/);
  });

  it("504 when the origin does not answer within the load balancer's timeout", async () => {
    slow.set({ hang: true });
    try {
      expectProblem(await send(lb.url, { host: "slow.test", path: "/hang", timeoutMs: 20_000 }), 504);
    } finally {
      slow.set({ hang: false });
    }
    expect(slow.requests.some((request) => request.path === "/hang")).toBe(true);
  });

  it("508 for a load balancer whose origin is the load balancer itself", async () => {
    await createPool(lb.api, { id: "self", origins: [{ name: "self", address: lb.url }], healthCheck: null });
    await createLoadBalancer(lb.api, { id: "self", hostname: "127.0.0.1", pools: ["self"] });

    expectProblem(await send(lb.url, { path: "/loop", timeoutMs: 20_000 }), 508);
  });
});
