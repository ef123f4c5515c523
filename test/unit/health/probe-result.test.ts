import { describe, expect, it } from "vitest";
import {
  evaluateProbe,
  type ProbeExpectations,
  parseExpectedCodes,
} from "../../../worker/health/probe-result.ts";

const expect2xx: ProbeExpectations = {
  method: "GET",
  expectedCodes: "2xx",
  expectedBody: null,
  timeoutMs: 5000,
  followRedirects: false,
};

function response(status: number, body: string | null = null, location: string | null = null) {
  return { kind: "response" as const, status, body, location };
}

describe("expected codes", () => {
  it("matches an exact code only", () => {
    const matches = parseExpectedCodes("200");
    expect([200, 201, 204, 299].map(matches)).toEqual([true, false, false, false]);
  });

  it("matches a class", () => {
    const matches = parseExpectedCodes("2xx");
    expect([199, 200, 250, 299, 300].map(matches)).toEqual([false, true, true, true, false]);
  });

  it("matches ranges and lists", () => {
    const matches = parseExpectedCodes("200-204,301, 4xx");
    expect([200, 204, 205, 301, 302, 404, 500].map(matches)).toEqual([
      true,
      true,
      false,
      true,
      false,
      true,
      false,
    ]);
  });

  it("accepts an upper-case class", () => {
    expect(parseExpectedCodes("3XX")(302)).toBe(true);
  });

  it("matches nothing for an item it cannot read", () => {
    expect(parseExpectedCodes("ok")(200)).toBe(false);
  });
});

describe("probe verdict", () => {
  it("passes a response with an expected code", () => {
    expect(evaluateProbe(response(204), expect2xx)).toEqual({ ok: true, error: null });
  });

  it("fails an unexpected code and says which codes were expected", () => {
    expect(evaluateProbe(response(503), expect2xx)).toEqual({
      ok: false,
      error: "unexpected status 503 (expected 2xx)",
    });
  });

  it("fails a timeout with the timeout in the reason", () => {
    expect(evaluateProbe({ kind: "timeout" }, expect2xx)).toEqual({
      ok: false,
      error: "timeout after 5000 ms",
    });
  });

  it("fails a connection error with its message", () => {
    const verdict = evaluateProbe({ kind: "error", message: "connection refused" }, expect2xx);
    expect(verdict).toEqual({ ok: false, error: "connection failed: connection refused" });
  });

  it("explains a redirect that was not followed", () => {
    const verdict = evaluateProbe(response(302, null, "/login"), expect2xx);
    expect(verdict.ok).toBe(false);
    expect(verdict.error).toContain("redirect to /login not followed (followRedirects is off)");
  });

  it("accepts a redirect when its code is expected", () => {
    expect(evaluateProbe(response(301, null, "/x"), { ...expect2xx, expectedCodes: "200,301" }).ok).toBe(
      true,
    );
  });

  it("does not blame followRedirects when redirects are followed", () => {
    const verdict = evaluateProbe(response(302), { ...expect2xx, followRedirects: true });
    expect(verdict.error).toBe("unexpected status 302 (expected 2xx)");
  });

  it("passes when the body contains the expected text", () => {
    const expectations = { ...expect2xx, expectedBody: "status: ok" };
    expect(evaluateProbe(response(200, "db up, status: ok, cache up"), expectations).ok).toBe(true);
  });

  it("fails when the body lacks the expected text, even with a good code", () => {
    const expectations = { ...expect2xx, expectedBody: "status: ok" };
    expect(evaluateProbe(response(200, "status: degraded"), expectations)).toEqual({
      ok: false,
      error: "response body does not contain the expected text",
    });
  });

  it("checks the code before the body", () => {
    const expectations = { ...expect2xx, expectedBody: "ok" };
    expect(evaluateProbe(response(500, "ok"), expectations).error).toBe(
      "unexpected status 500 (expected 2xx)",
    );
  });

  it("fails a body check with HEAD and says why", () => {
    const verdict = evaluateProbe(response(200), { ...expect2xx, method: "HEAD", expectedBody: "ok" });
    expect(verdict.ok).toBe(false);
    expect(verdict.error).toContain("expectedBody needs method GET");
  });
});
