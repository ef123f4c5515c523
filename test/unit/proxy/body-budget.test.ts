import { describe, expect, it } from "vitest";
import { parseResource } from "../../../worker/config/resources.ts";
import type { BufferBudget } from "../../../worker/edge/body-budget.ts";
import { prepareBody, releaseBody } from "../../../worker/proxy/request-body.ts";

/** A budget of `limit` bytes that remembers what it holds. */
function budgetOf(limit: number): BufferBudget & { held: () => number } {
  let held = 0;
  return {
    reserve(bytes) {
      if (held + bytes > limit) return false;
      held += bytes;
      return true;
    },
    release(bytes) {
      held -= bytes;
    },
    held: () => held,
  };
}

const post = (bytes: number, declared = true) =>
  new Request("http://lb.test/upload", {
    method: "POST",
    body: declared
      ? new Uint8Array(bytes)
      : new ReadableStream({
          start(controller) {
            controller.enqueue(new Uint8Array(bytes / 2));
            controller.enqueue(new Uint8Array(bytes / 2));
            controller.close();
          },
        }),
    ...(declared ? {} : { duplex: "half" }),
  } as RequestInit);

describe("the isolate's buffer budget", () => {
  it("keeps bodies while the budget covers them, streams the rest, and gets the bytes back", async () => {
    for (const declared of [true, false]) {
      const budget = budgetOf(1000);
      const first = await prepareBody(post(600, declared), 65_536, true, budget);
      expect(first.replayable, String(declared)).toBe(true);
      expect(budget.held()).toBe(600);
      const second = await prepareBody(post(600, declared), 65_536, true, budget);
      expect(second.replayable, String(declared)).toBe(false);
      expect(budget.held()).toBe(600);
      releaseBody(first, budget);
      releaseBody(second, budget);
      expect(budget.held()).toBe(0);
      const third = await prepareBody(post(600, declared), 65_536, true, budget);
      expect(third.replayable, String(declared)).toBe(true);
    }
  });

  it("caps retries.bufferBodyBytes at 10 MiB", () => {
    const lb = (bufferBodyBytes: number) =>
      parseResource("load_balancer", {
        id: "x",
        hostname: "x.test",
        pools: ["p"],
        retries: { bufferBodyBytes },
      });
    expect(lb(10 * 1024 * 1024).ok).toBe(true);
    const over = lb(10 * 1024 * 1024 + 1);
    expect(over.ok).toBe(false);
    expect(!over.ok && over.errors.map((e) => e.path)).toEqual(["retries.bufferBodyBytes"]);
  });
});
