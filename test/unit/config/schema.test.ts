import { describe, expect, it } from "vitest";
import { parseResource } from "../../../worker/config/resources.ts";
import { checkTimeoutMs, defaultTimeoutMs } from "../../../worker/config/schema.ts";

const origin = { name: "a", address: "http://127.0.0.1:9001" };

function paths(input: unknown): string[] {
  const result = parseResource("pool", input);
  return result.ok ? [] : result.errors.map((error) => error.path);
}

describe("health check timeout default", () => {
  it("is 5000 ms, or half the interval when that is shorter", () => {
    expect(defaultTimeoutMs(15)).toBe(5000);
    expect(defaultTimeoutMs(10)).toBe(5000);
    expect(defaultTimeoutMs(2)).toBe(1000);
    expect(defaultTimeoutMs(1)).toBe(500);
  });

  it("fills an empty check with every default but the derived timeout, which it runs with", () => {
    const empty = parseResource("pool", { id: "p", origins: [origin], healthCheck: {} });
    expect(empty.ok && empty.value.healthCheck).toEqual({
      enabled: true,
      path: "/",
      method: "GET",
      headers: {},
      expectedCodes: "2xx",
      expectedBody: null,
      intervalSeconds: 15,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
      followRedirects: false,
      type: "http",
      regions: [],
    });
    const fast = parseResource("pool", { id: "p", origins: [origin], healthCheck: { intervalSeconds: 1 } });
    expect(fast.ok && fast.value.healthCheck?.timeoutMs).toBeUndefined();
    expect(fast.ok && fast.value.healthCheck && checkTimeoutMs(fast.value.healthCheck)).toBe(500);
    expect(empty.ok && empty.value.healthCheck && checkTimeoutMs(empty.value.healthCheck)).toBe(5000);
  });

  it("still refuses a timeout the client set at or above the interval", () => {
    expect(
      paths({ id: "p", origins: [origin], healthCheck: { intervalSeconds: 1, timeoutMs: 1000 } }),
    ).toEqual(["healthCheck.timeoutMs"]);
  });
});

describe("pool validation", () => {
  it("reports an empty origin list once, at origins", () => {
    expect(paths({ id: "p", origins: [] })).toEqual(["origins"]);
    expect(paths({ id: "p", origins: [], minimumOrigins: 2 })).toEqual(["origins"]);
  });

  it("takes printable ASCII header values only", () => {
    const withHeader = (value: string) => ({ id: "p", origins: [{ ...origin, headers: { "x-a": value } }] });
    expect(paths(withHeader("plain value\twith tab"))).toEqual([]);
    for (const value of ["caf\u00e9", "a\r\nb", "\u0000", "\u007f"]) {
      expect(paths(withHeader(value)), JSON.stringify(value)).toEqual(['origins[0].headers["x-a"]']);
    }
  });
});
