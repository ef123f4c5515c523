/**
 * What the client or the runtime breaks is not the origin's failure: an upload that breaks off
 * mid-stream fails that request, but never counts towards ejecting the origin.
 */
import { describe, expect, it } from "vitest";
import { originCounters } from "../../../worker/edge/outcomes.ts";
import { installConfig, ORIGIN, send } from "./support.ts";

/** A body that sends two 64 KiB chunks, then breaks off as a client that went away would. */
function breakingBody(): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < 2) controller.enqueue(new Uint8Array(65_536));
      else controller.error(new Error("client went away"));
    },
  });
}

describe("client failures", () => {
  it("a broken upload fails its request but does not count against the origin", async () => {
    installConfig(
      [
        {
          id: "upload-break",
          origins: [
            { name: "a", address: ORIGIN },
            { name: "b", address: ORIGIN },
          ],
          passiveHealth: { consecutiveFailures: 2, maxEjectionPercent: 100, failOn: "5xx" },
        },
      ],
      [
        {
          id: "upload-break",
          hostname: "upload-break.test",
          pools: ["upload-break"],
          retries: { attempts: 0 },
        },
      ],
    );
    for (let i = 0; i < 4; i++) {
      const response = await send("http://upload-break.test/read", {
        method: "POST",
        body: breakingBody(),
        // @ts-expect-error: duplex is required by the runtime for a streamed body
        duplex: "half",
      });
      expect([response.status, await response.text()]).toEqual([502, expect.any(String)]);
    }
    for (const name of ["a", "b"]) {
      const counters = originCounters("upload-break", { name, address: ORIGIN, hostHeader: null });
      expect(counters?.lastError).toBe("client");
      expect(counters).toMatchObject({
        consecutiveFailures: 0,
        failures: 0,
        ejectedUntil: null,
        inflight: 0,
      });
    }
    const after = await send("http://upload-break.test/after");
    expect(after.status).toBe(200);
  });
});
