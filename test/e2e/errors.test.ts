import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AdminClient,
  adminClient,
  createLoadBalancer,
  createPool,
  poolOf,
} from "../helpers/admin-client.ts";
import { send } from "../helpers/http.ts";
import { startOrigin, stopOrigins, type TestOrigin } from "../helpers/origins.ts";
import { expectProblem } from "../helpers/problem.ts";
import { type Runtime, startRuntime } from "../helpers/runtime.ts";
import { throughLb } from "../helpers/through-lb.ts";

let lb: Runtime;
let api: AdminClient;
let down: TestOrigin;
let slow: TestOrigin;
let origins: TestOrigin[] = [];

beforeAll(async () => {
  down = await startOrigin("down");
  slow = await startOrigin("slow");
  origins = [down, slow];
  lb = await startRuntime();
  api = adminClient(lb.url, lb.adminToken);
  await createPool(api, poolOf("down", [down]));
  await createLoadBalancer(api, { id: "down", hostname: "down.test", pools: ["down"] });
  await createPool(api, poolOf("slow", [slow]));
  await createLoadBalancer(api, {
    id: "slow",
    hostname: "slow.test",
    pools: ["slow"],
    timeouts: { requestMs: 1000 },
  });
});

afterAll(async () => {
  await lb?.stop();
  await stopOrigins(origins);
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
    origins.push(gone, alive);
    await gone.stop();
    await createPool(api, poolOf("half-down", [gone, alive]));
    await createLoadBalancer(api, { id: "half-down", hostname: "half-down.test", pools: ["half-down"] });

    for (let i = 0; i < 6; i++) {
      const { echo } = await throughLb(lb.url, "half-down.test", { path: `/retry/${i}` });
      expect(echo.origin).toBe("alive");
    }
    expect(alive.count()).toBe(6);
  });

  it("503 with Retry-After when no origin of the pool may take traffic", async () => {
    await createPool(api, {
      id: "disabled",
      origins: [{ name: "off", address: down.url, enabled: false }],
      healthCheck: null,
    });
    await createLoadBalancer(api, { id: "disabled", hostname: "disabled.test", pools: ["disabled"] });

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
    await createPool(api, { id: "self", origins: [{ name: "self", address: lb.url }], healthCheck: null });
    await createLoadBalancer(api, { id: "self", hostname: "127.0.0.1", pools: ["self"] });

    expectProblem(await send(lb.url, { path: "/loop", timeoutMs: 20_000 }), 508);
  });
});
