import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminClient, poolOf, putConfig } from "../helpers/admin-client.ts";
import { startOrigins, stopOrigins, type TestOrigin } from "../helpers/origins.ts";
import { throughLb } from "../helpers/through-lb.ts";
import { type Edges, startEdges } from "./multi-edge-runtime.ts";

let edges: Edges;
let origins: TestOrigin[] = [];

beforeAll(async () => {
  origins = await startOrigins(["a", "b"]);
  edges = await startEdges(3);
});

afterAll(async () => {
  await edges?.stop();
  await stopOrigins(origins);
});

describe("smoke", () => {
  it("routes through each edge", async () => {
    await putConfig(adminClient(edges.urls[0]!, edges.adminToken), {
      pools: [poolOf("p", origins)],
      loadBalancers: [{ id: "p", hostname: "p.test", pools: ["p"] }],
    });
    await new Promise((r) => setTimeout(r, 2500));
    for (const url of edges.urls) {
      for (let i = 0; i < 3; i++) {
        const { echo } = await throughLb(url, "p.test");
        expect(["a", "b"]).toContain(echo.origin);
      }
    }
  });
});
