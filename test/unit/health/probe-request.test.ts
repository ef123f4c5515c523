import { describe, expect, it } from "vitest";
import { buildProbeRequest, joinPath, PROBE_USER_AGENT } from "../../../worker/health/probe-request.ts";

const check = { path: "/health", method: "GET" as const, headers: {}, followRedirects: false };
const origin = { address: "https://eu1.example.com:8443/base", hostHeader: null, headers: {} };

describe("probe request", () => {
  it("joins the origin's base path and the check path", () => {
    expect(joinPath("/", "/health")).toBe("/health");
    expect(joinPath("/base", "/health")).toBe("/base/health");
    expect(joinPath("/base/", "/health?full=1")).toBe("/base/health?full=1");
  });

  it("targets the origin address with the joined path and query", () => {
    const request = buildProbeRequest(origin, { ...check, path: "/health?deep=1" });
    expect(request.url).toBe("https://eu1.example.com:8443/base/health?deep=1");
    expect(request.resolveOverride).toBeNull();
  });

  it("keeps a path that looks protocol-relative on the origin's host", () => {
    const request = buildProbeRequest(
      { ...origin, address: "http://10.0.0.1" },
      { ...check, path: "//evil.test/x" },
    );
    expect(new URL(request.url).host).toBe("10.0.0.1");
  });

  it("does not send a fragment", () => {
    expect(buildProbeRequest(origin, { ...check, path: "/h#top" }).url).toBe(
      "https://eu1.example.com:8443/base/h",
    );
  });

  it("sends the origin's headers and lets the check's override them, whatever their case", () => {
    const request = buildProbeRequest(
      { ...origin, headers: { "X-Tenant": "a", Authorization: "Bearer origin" } },
      { ...check, headers: { authorization: "Bearer check", "User-Agent": "custom" } },
    );
    expect(request.headers).toEqual({
      "user-agent": "custom",
      "x-tenant": "a",
      authorization: "Bearer check",
    });
  });

  it("identifies itself by default", () => {
    expect(buildProbeRequest(origin, check).headers["user-agent"]).toBe(PROBE_USER_AGENT);
  });

  it("presents hostHeader by fetching that host and resolving to the origin's host", () => {
    const request = buildProbeRequest({ ...origin, hostHeader: "app.example.com" }, check);
    expect(request.url).toBe("https://app.example.com:8443/base/health");
    expect(request.resolveOverride).toBe("eu1.example.com");
  });

  it("takes the port of hostHeader when it has one", () => {
    const request = buildProbeRequest({ ...origin, hostHeader: "app.example.com:9443" }, check);
    expect(request.url).toBe("https://app.example.com:9443/base/health");
  });

  it("does not redirect manually when redirects are followed", () => {
    expect(buildProbeRequest(origin, check).redirect).toBe("manual");
    expect(buildProbeRequest(origin, { ...check, followRedirects: true }).redirect).toBe("follow");
  });

  it("uses the check's method", () => {
    expect(buildProbeRequest(origin, { ...check, method: "HEAD" }).method).toBe("HEAD");
  });
});
