import { describe, expect, it } from "vitest";
import { RetriesSchema } from "../../../worker/config/schema.ts";
import { failureOfStatus, mayRetry } from "../../../worker/proxy/retry-policy.ts";

const retries = RetriesSchema.parse({});

describe("which statuses count as failures", () => {
  it("counts the statuses listed in onStatus", () => {
    expect(failureOfStatus(503, retries)).toBe("status");
    expect(failureOfStatus(500, retries)).toBeNull();
    expect(failureOfStatus(200, retries)).toBeNull();
    expect(failureOfStatus(500, { onStatus: [500] })).toBe("status");
  });

  it("counts a CDN's could-not-connect statuses as failures of the origin, never as proof of not sent", () => {
    for (const status of [521, 522, 523, 525, 526]) expect(failureOfStatus(status, retries)).toBe("status");
    expect(failureOfStatus(524, retries)).toBeNull();
  });
});

describe("which failures may be retried", () => {
  const ask = (
    failure: "timeout" | "connect" | "refused" | "status",
    method: string,
    bodyReplayable = true,
  ) => mayRetry({ failure, method, retries, bodyReplayable });

  it("retries the listed methods on every kind of failure", () => {
    for (const failure of ["timeout", "connect", "refused", "status"] as const) {
      expect(ask(failure, "GET")).toBe(true);
      expect(ask(failure, "put")).toBe(true);
    }
  });

  it("retries other methods only when the request never left, which no status proves", () => {
    expect(ask("refused", "POST")).toBe(true);
    expect(ask(failureOfStatus(522, retries) ?? "status", "POST")).toBe(false);
    expect(ask("connect", "POST")).toBe(false);
    expect(ask("timeout", "POST")).toBe(false);
    expect(ask("status", "PATCH")).toBe(false);
  });

  it("never retries a request whose body was streamed", () => {
    expect(ask("refused", "PUT", false)).toBe(false);
    expect(ask("timeout", "GET", false)).toBe(false);
  });
});
