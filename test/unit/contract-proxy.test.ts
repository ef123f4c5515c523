import { describe, expect, it } from "vitest";
import { ProblemError } from "../../worker/api/problem.ts";
import { prepareBody } from "../../worker/proxy/request-body.ts";
import { RETRY_BURST, RetryBudget } from "../../worker/proxy/retry-budget.ts";
import { pathAndQueryOf, upstreamTarget } from "../../worker/proxy/upstream-url.ts";

describe("the path and query sent upstream", () => {
  it.each([
    ["http://lb.test/a%2Fb//c?x=%zz&y=%2F", "/a%2Fb//c?x=%zz&y=%2F"],
    ["http://lb.test/x?", "/x?"],
    ["http://lb.test/x", "/x"],
    ["http://lb.test/", "/"],
    ["http://lb.test/x?#", "/x?"],
    ["http://lb.test/x?a=1#frag", "/x?a=1"],
  ])("%s → %s", (url, expected) => {
    expect(pathAndQueryOf(new URL(url))).toBe(expected);
  });

  it("keeps an empty query on the target", () => {
    const origin = { address: "http://127.0.0.1:9000/base/", hostHeader: null };
    expect(upstreamTarget(origin, pathAndQueryOf(new URL("http://lb.test/x?"))).url).toBe(
      "http://127.0.0.1:9000/base/x?",
    );
  });

  it("builds each origin's target from that origin's own address", () => {
    const a = { address: "http://127.0.0.1:9000/a", hostHeader: null };
    const b = { address: "https://origin.example.com/b", hostHeader: "www.example.com" };
    for (let i = 0; i < 3; i++) {
      expect(upstreamTarget(a, "/p").url).toBe("http://127.0.0.1:9000/a/p");
      expect(upstreamTarget(b, "/p")).toEqual({
        url: "https://www.example.com/b/p",
        resolveOverride: "origin.example.com",
      });
    }
  });
});

/** A request as the runtime hands it over; Node's Request refuses a GET with a body outright. */
function bodiedRequest(method: string, chunks: string[]): Request {
  const encoder = new TextEncoder();
  const queue = [...chunks];
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = queue.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(encoder.encode(next));
    },
  });
  return { method, body, headers: new Headers() } as unknown as Request;
}

describe("a GET or HEAD request with a body", () => {
  it("is refused with 400 when the body has content", async () => {
    for (const method of ["GET", "HEAD"]) {
      const error = await prepareBody(bodiedRequest(method, ["", "hello"]), 1024, true).catch((e) => e);
      expect(error).toBeInstanceOf(ProblemError);
      expect((error as ProblemError).problem.status).toBe(400);
    }
  });

  it("goes on without a body when the body is empty", async () => {
    expect(await prepareBody(bodiedRequest("GET", ["", ""]), 1024, true)).toEqual({
      replayable: true,
      body: null,
    });
  });
});

describe("the retry budget", () => {
  it("gets back the tokens of retries that succeeded, never beyond its size", () => {
    const budget = new RetryBudget(0);
    for (let i = 0; i < RETRY_BURST; i++) expect(budget.withdraw(0)).toBe(true);
    expect(budget.withdraw(0)).toBe(false);
    budget.refund(1);
    expect(budget.withdraw(0)).toBe(true);
    budget.refund(RETRY_BURST * 3);
    expect(budget.tokens(0)).toBe(RETRY_BURST);
  });
});
