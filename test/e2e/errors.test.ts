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
