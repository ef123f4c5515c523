import { describe, expect, it } from "vitest";
import {
  buildProbeRequest,
  joinPath,
  PROBE_USER_AGENT,
  redirectHop,
} from "../../../worker/health/probe-request.ts";

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

  it("follows a redirect only when asked to, and only for redirect statuses with a Location", () => {
    const off = buildProbeRequest(origin, check);
    expect(redirectHop(off.url, off, 302, "/login")).toBeNull();
    const on = buildProbeRequest(origin, { ...check, followRedirects: true });
    expect(redirectHop(on.url, on, 200, "/login")).toBeNull();
    expect(redirectHop(on.url, on, 302, null)).toBeNull();
    expect(redirectHop(on.url, on, 302, "ftp://files.example.com/")).toBeNull();
    expect(redirectHop(on.url, on, 307, "/base/ready")?.url).toBe("https://eu1.example.com:8443/base/ready");
  });

  it("sends the configured headers to the same origin only (scheme, host and port)", () => {
    const secret = { ...origin, headers: { Authorization: "Bearer origin-secret" } };
    const first = buildProbeRequest(secret, { ...check, followRedirects: true, headers: { "x-check": "c" } });
    const same = redirectHop(first.url, first, 301, "https://eu1.example.com:8443/ready");
    expect(same?.headers).toMatchObject({ authorization: "Bearer origin-secret", "x-check": "c" });
    for (const elsewhere of [
      "https://evil.example.net/collect",
      "http://eu1.example.com:8443/ready",
      "https://eu1.example.com/ready",
      "//evil.example.net/x",
    ]) {
      const hop = redirectHop(first.url, first, 302, elsewhere);
      expect(hop?.headers, elsewhere).toEqual({ "user-agent": PROBE_USER_AGENT });
      // A later hop back to the first origin may carry them again; one that stays away may not.
      const onward = hop && redirectHop(first.url, hop, 302, "https://evil.example.net/again");
      expect(onward?.headers, elsewhere).toEqual({ "user-agent": PROBE_USER_AGENT });
    }
  });

  it("uses the check's method", () => {
    expect(buildProbeRequest(origin, { ...check, method: "HEAD" }).method).toBe("HEAD");
  });
});
