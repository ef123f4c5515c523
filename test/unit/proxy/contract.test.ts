import { describe, expect, it } from "vitest";
import { isFailure } from "../../../worker/edge/outcomes.ts";
import { RETRY_BURST, RetryBudget } from "../../../worker/edge/retry-budgets.ts";
import { ProblemError } from "../../../worker/http/problem.ts";
import { prepareBody } from "../../../worker/proxy/request-body.ts";
import { pathAndQueryOf, upstreamTarget } from "../../../worker/proxy/upstream-url.ts";

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

describe("a request body that breaks off", () => {
  it("is refused with 400 instead of failing the request as a bug", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("part"));
        controller.error(new Error("client went away"));
      },
    });
    const request = { method: "PUT", body, headers: new Headers() } as unknown as Request;
    const error = await prepareBody(request, 1024, true).catch((e) => e);
    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).problem.status).toBe(400);
  });
});

describe("the retry budget", () => {
  it("lets retries through while it holds a token and takes one only for a retry that failed", () => {
    const budget = new RetryBudget(0);
    for (let i = 0; i < 100; i++) expect(budget.allows(0)).toBe(true);
    for (let i = 0; i < RETRY_BURST; i++) budget.charge(0);
    expect(budget.allows(0)).toBe(false);
  });

  it("owes at most its size, which deposits repay before the next retry", () => {
    const budget = new RetryBudget(0);
    for (let i = 0; i < RETRY_BURST * 5; i++) budget.charge(0);
    expect(budget.tokens(0)).toBe(-RETRY_BURST);
    expect(budget.allows(RETRY_BURST * 1000)).toBe(false);
    expect(budget.allows((RETRY_BURST + 1) * 1000)).toBe(true);
  });
});

describe("what counts against an origin's passive health", () => {
  it("5xx, timeouts and connection errors, but not a 508 that says the request loops", () => {
    const outcome = (status: number | null, error: "timeout" | "connect" | null = null) => ({
      status,
      error,
      latencyMs: 1,
    });
    expect(isFailure(outcome(503))).toBe(true);
    expect(isFailure(outcome(500))).toBe(true);
    expect(isFailure(outcome(null, "timeout"))).toBe(true);
    expect(isFailure(outcome(null, "connect"))).toBe(true);
    expect(isFailure(outcome(508))).toBe(false);
    expect(isFailure(outcome(404))).toBe(false);
  });
});
