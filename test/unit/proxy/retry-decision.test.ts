import { describe, expect, it } from "vitest";
import { RetriesSchema } from "../../../worker/config/schema.ts";
import { type AttemptFailure, decideRetry, type RetryCase } from "../../../worker/proxy/retry-policy.ts";

const retries = RetriesSchema.parse({});

/** A failed GET with an untried origin left and budget to spare; `change` says what differs. */
function decide(failure: AttemptFailure, change: Partial<RetryCase> = {}): ReturnType<typeof decideRetry> {
  return decideRetry({
    failure,
    method: "GET",
    retries,
    bodyReplayable: true,
    nextTarget: true,
    probed: false,
    budgetAllows: true,
    ...change,
  });
}

describe("the retry decision after a failed attempt", () => {
  it("gives up when no origin is left to try, whatever the failure", () => {
    for (const failure of ["timeout", "connect", "refused", "status"] as const) {
      expect(decide(failure, { nextTarget: false })).toBe("give_up");
    }
  });

  it("retries a timeout or a retryable status on the budget's credit", () => {
    expect(decide("timeout")).toBe("retry_paid");
    expect(decide("status")).toBe("retry_paid");
  });

  it("reports a spent budget rather than retrying a timeout or status", () => {
    expect(decide("timeout", { budgetAllows: false })).toBe("budget_spent");
    expect(decide("status", { budgetAllows: false })).toBe("budget_spent");
  });

  it("retries connection failures without the budget", () => {
    expect(decide("connect", { budgetAllows: false })).toBe("retry");
    expect(decide("refused", { method: "POST", budgetAllows: false })).toBe("retry");
  });

  it("asks the network once about a failed connection of a method the policy does not list", () => {
    expect(decide("connect", { method: "POST" })).toBe("probe");
    // The probe found the origin accepting connections: the request may have reached it.
    expect(decide("connect", { method: "POST", probed: true })).toBe("give_up");
    // It refuses connections: nothing reached it, any method goes again.
    expect(decide("refused", { method: "POST", probed: true })).toBe("retry");
  });

  it("never probes or retries a request whose body cannot be sent again", () => {
    expect(decide("connect", { method: "POST", bodyReplayable: false })).toBe("give_up");
    expect(decide("timeout", { bodyReplayable: false })).toBe("give_up");
    expect(decide("refused", { method: "PUT", bodyReplayable: false })).toBe("give_up");
  });

  it("gives up on a timeout or status of a method the policy does not list", () => {
    expect(decide("timeout", { method: "POST" })).toBe("give_up");
    expect(decide("status", { method: "PATCH" })).toBe("give_up");
    // A 52x response is a status like any other: it proves nothing about what the origin received.
    expect(decide("status", { method: "POST" })).toBe("give_up");
  });
});
