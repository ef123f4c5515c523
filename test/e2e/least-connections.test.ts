/**
 * least_connections through the real runtime against origins of different speeds: concurrent
 * clients keep requests in flight, the slow origin holds its requests longer, and so it gets fewer
 * new ones. Round robin over the same origins, as the control, gives every origin the same share.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PoolInput } from "../../worker/config/schema.ts";
import { poolOf, servePool } from "../helpers/admin-client.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import { tally, throughLb } from "../helpers/through-lb.ts";

let lb: TestLoadBalancer;

/** Requests per run and clients sending them at once. */
const REQUESTS = 240;
const CLIENTS = 12;
/** The slow origin's delay; the fast ones answer at once. */
const SLOW_MS = 300;

beforeAll(async () => {
  lb = await startLoadBalancer({
    origins: ["fast-1", "fast-2", { name: "slow", knobs: { delayMs: SLOW_MS } }],
  });
});

afterAll(async () => {
  await lb?.stop();
});

/** Sends `REQUESTS` requests from `CLIENTS` concurrent clients; returns who answered each. */
async function drive(host: string): Promise<string[]> {
  const answered: string[] = [];
  let next = 0;
  const client = async () => {
    while (next < REQUESTS) {
      next++;
      answered.push((await throughLb(lb.url, host)).echo.origin);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  return answered;
}

async function setUp(id: string, algorithm: PoolInput["algorithm"]): Promise<string> {
  await servePool(lb.api, `${id}.test`, poolOf(id, lb.origins, { algorithm }));
  return `${id}.test`;
}

describe("least_connections against a slow origin", () => {
  it("sends the slow origin far less than its round-robin share", async () => {
    const control = tally(await drive(await setUp("lc-control", "round_robin")));
    const least = tally(await drive(await setUp("lc-slow", "least_connections")));

    expect(control.slow).toBe(REQUESTS / 3);
    // With 12 requests in flight, the slow origin holds about one of them for every
    // SLOW_MS while the fast ones turn theirs over in milliseconds, so it is almost never the
    // least loaded. A third of round robin's share leaves a wide margin.
    expect(least.slow ?? 0).toBeLessThan(REQUESTS / 9);
    expect((least["fast-1"] ?? 0) + (least["fast-2"] ?? 0)).toBeGreaterThan((REQUESTS * 8) / 9);
  });
});
