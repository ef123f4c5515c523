import { describe, expect, it } from "vitest";
import {
  beginAttempt,
  endAttempt,
  HELD_TICKET_TTL_MS,
  holdAttempt,
  originCounters,
  releaseAttempt,
  sweepHeld,
  touchAttempt,
} from "../../../worker/edge/outcomes.ts";

const T0 = 1_700_000_000_000;
const ok = { status: 200, error: null, latencyMs: 5 };

describe("in-flight tickets", () => {
  it("count an attempt until it is released, not until its outcome is known", () => {
    const origin = { name: "a", address: "http://127.0.0.1:9001", hostHeader: null };
    const ticket = beginAttempt("tickets-1", origin, T0);
    endAttempt(ticket, ok, false);
    expect(originCounters("tickets-1", origin)?.inflight).toBe(1);
    releaseAttempt(ticket);
    releaseAttempt(ticket);
    expect(originCounters("tickets-1", origin)?.inflight).toBe(0);
  });

  it("expire when held and never released, later when there was activity", () => {
    const origin = { name: "a", address: "http://127.0.0.1:9001", hostHeader: null };
    const quiet = beginAttempt("tickets-2", origin, T0);
    const busy = beginAttempt("tickets-2", origin, T0);
    holdAttempt(quiet, T0);
    holdAttempt(busy, T0);
    touchAttempt(busy, T0 + HELD_TICKET_TTL_MS / 2);
    expect(sweepHeld(T0 + HELD_TICKET_TTL_MS - 1)).toBe(0);
    expect(sweepHeld(T0 + HELD_TICKET_TTL_MS)).toBe(1);
    expect(originCounters("tickets-2", origin)?.inflight).toBe(1);
    expect(sweepHeld(T0 + HELD_TICKET_TTL_MS * 2)).toBe(1);
    expect(originCounters("tickets-2", origin)?.inflight).toBe(0);
  });

  it("belong to the origin's identity: another address under the same name starts at zero", () => {
    const before = { name: "a", address: "http://127.0.0.1:9001", hostHeader: null };
    const after = { name: "a", address: "http://127.0.0.1:9002", hostHeader: null };
    beginAttempt("tickets-3", before, T0);
    expect(originCounters("tickets-3", after)).toBeUndefined();
    beginAttempt("tickets-3", after, T0);
    expect(originCounters("tickets-3", after)?.inflight).toBe(1);
    expect(originCounters("tickets-3", before)).toBeUndefined();
  });
});
