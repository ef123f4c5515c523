/**
 * One attempt's timer inside workerd: the same timer bounds the wait for response headers and keeps
 * the heartbeat (reports while a request waits) going, and nothing of it outlives the attempt.
 */
import { describe, expect, it } from "vitest";
import { AttemptTimer, sendAttempt } from "../../../worker/proxy/attempt.ts";
import { ORIGIN, REFUSING } from "./support.ts";

function target(base: string, path: string) {
  return { url: `${base}${path}`, resolveOverride: null };
}

const GET = { method: "GET", headers: new Headers(), body: null };

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

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

  it("leaves a request's own timer beating for a held body, until the body's mark is released or it is stopped", async () => {
    let beats = 0;
    const timer = new AttemptTimer({ everyMs: 50, beat: () => beats++ });
    const result = await sendAttempt(target(ORIGIN, "/echo"), GET, 5000, null, timer);
    expect(result.kind).toBe("response");
    if (result.kind === "response") await result.response.arrayBuffer();
    const ticket = { released: false };
    timer.hold(ticket);
    await sleep(300);
    expect(beats).toBeGreaterThanOrEqual(2);
    ticket.released = true;
    await sleep(150);
    const afterRelease = beats;
    await sleep(200);
    expect(beats).toBe(afterRelease);

    const again = new AttemptTimer({ everyMs: 50, beat: () => beats++ });
    await sendAttempt(target(ORIGIN, "/echo"), GET, 5000, null, again);
    again.hold({ released: false });
    await sleep(120);
    again.stop();
    const afterStop = beats;
    await sleep(200);
    expect(beats).toBe(afterStop);
  });

  it("stops a request's own timer after a response that nothing holds: no beat follows", async () => {
    let beats = 0;
    const timer = new AttemptTimer({ everyMs: 50, beat: () => beats++ });
    const result = await sendAttempt(target(ORIGIN, "/echo"), GET, 5000, null, timer);
    expect(result.kind).toBe("response");
    await sleep(250);
    expect(beats).toBe(0);
  });

  it("times out on a request's own timer, as on its own one", async () => {
    const timer = new AttemptTimer({ everyMs: 1000, beat: () => {} });
    const result = await sendAttempt(target(ORIGIN, "/slow"), GET, 100, null, timer);
    expect(result.kind).toBe("timeout");
  });
});
