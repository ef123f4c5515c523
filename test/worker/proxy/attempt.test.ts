/**
 * One attempt's timer inside workerd: the same timer bounds the wait for response headers and keeps
 * the heartbeat (reports while a request waits) going, and nothing of it outlives the attempt.
 */
import { describe, expect, it } from "vitest";
import { sendAttempt } from "../../../worker/proxy/attempt.ts";
import { ORIGIN, REFUSING } from "./support.ts";

function target(base: string, path: string) {
  return { url: `${base}${path}`, resolveOverride: null };
}

const GET = { method: "GET", headers: new Headers(), body: null };

describe("an attempt", () => {
  it("answers with the origin's response and beats no heartbeat when headers come at once", async () => {
    let beats = 0;
    const result = await sendAttempt(target(ORIGIN, "/echo"), GET, 5000, {
      everyMs: 1000,
      beat: () => beats++,
    });
    expect(result.kind).toBe("response");
    if (result.kind === "response") expect(result.response.status).toBe(200);
    expect(beats).toBe(0);
  });

  it("keeps the heartbeat going while it waits, then times out, and stops beating", async () => {
    let beats = 0;
    const result = await sendAttempt(target(ORIGIN, "/slow"), GET, 250, {
      everyMs: 100,
      beat: () => beats++,
    });
    expect(result.kind).toBe("timeout");
    const atEnd = beats;
    expect(atEnd).toBeGreaterThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(beats).toBe(atEnd);
  });

  it("times out without a heartbeat too", async () => {
    const result = await sendAttempt(target(ORIGIN, "/slow"), GET, 100);
    expect(result.kind).toBe("timeout");
  });

  it("reports a refused connection as a connection failure", async () => {
    const result = await sendAttempt(target(REFUSING, "/"), GET, 5000, { everyMs: 1000, beat: () => {} });
    expect(result.kind).toBe("connect");
  });
});
