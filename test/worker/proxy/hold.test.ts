/**
 * Which answers count as in flight until their body is over (worker/proxy/hold.ts): every body in a
 * pool whose in-flight figures something reads, and every body longer than 16 KiB; a short answer in
 * any other pool counts until its headers only. What is observed is this isolate's in-flight count
 * for the origin, before and after the client reads the body.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { PoolInput } from "../../../worker/config/schema.ts";
import { originCounters } from "../../../worker/edge/outcomes.ts";
import app from "../../../worker/index.ts";
import { SHORT_BODY_BYTES } from "../../../worker/proxy/hold.ts";
import { installConfig, ORIGIN } from "./support.ts";

const SHORT = SHORT_BODY_BYTES;
const LONG = SHORT_BODY_BYTES + 1;

function setup(): void {
  const pool = (id: string, extra: Partial<PoolInput> = {}): PoolInput => ({
    id,
    origins: [{ name: "a", address: ORIGIN }],
    ...extra,
  });
  installConfig(
    [
      pool("hold-rr"),
      pool("hold-lc", { algorithm: "least_connections" }),
      pool("hold-lt", { algorithm: "least_time" }),
      pool("hold-cap", { origins: [{ name: "a", address: ORIGIN, maxConnections: 50 }] }),
    ],
    [
      { id: "hold-rr", hostname: "hold-rr.test", pools: ["hold-rr"] },
      { id: "hold-lc", hostname: "hold-lc.test", pools: ["hold-lc"] },
      { id: "hold-lt", hostname: "hold-lt.test", pools: ["hold-lt"] },
      { id: "hold-cap", hostname: "hold-cap.test", pools: ["hold-cap"] },
    ],
  );
}

/** The origin's in-flight count here with the answer's headers in hand, then once its body is read. */
async function inflightAround(
  host: string,
  bytes: number,
): Promise<{ atHeaders: number; afterBody: number }> {
  const ctx = createExecutionContext();
  const response = await app.request(`http://${host}/bytes/${bytes}`, {}, env, ctx);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-length")).toBe(String(bytes));
  const inflight = () =>
    originCounters(host.replace(".test", ""), { name: "a", address: ORIGIN, hostHeader: null })?.inflight;
  const atHeaders = inflight() ?? -1;
  expect((await response.arrayBuffer()).byteLength).toBe(bytes);
  await waitOnExecutionContext(ctx);
  return { atHeaders, afterBody: inflight() ?? -1 };
}

describe("hold: in flight until the body is over, where it matters", () => {
  it("counts a short answer of a round_robin pool until its headers only", async () => {
    setup();
    expect(await inflightAround("hold-rr.test", SHORT)).toEqual({ atHeaders: 0, afterBody: 0 });
  });

  it("counts a body longer than 16 KiB until it is read, in a round_robin pool too", async () => {
    setup();
    expect(await inflightAround("hold-rr.test", LONG)).toEqual({ atHeaders: 1, afterBody: 0 });
  });

  it("counts even a short answer until its body is read where in-flight figures are read", async () => {
    setup();
    expect(await inflightAround("hold-lc.test", 9)).toEqual({ atHeaders: 1, afterBody: 0 });
    expect(await inflightAround("hold-lt.test", 9)).toEqual({ atHeaders: 1, afterBody: 0 });
    expect(await inflightAround("hold-cap.test", 9)).toEqual({ atHeaders: 1, afterBody: 0 });
  });
});
