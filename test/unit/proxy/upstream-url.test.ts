import { describe, expect, it } from "vitest";
import { joinUpstreamUrl, pathAndQueryOf, upstreamTarget } from "../../../worker/proxy/upstream-url.ts";

describe("joining the origin address with the request path", () => {
  it("appends path and query to the address's base path without doubling the slash", () => {
    expect(joinUpstreamUrl("https://eu1.example.com:8443/base", "/x?q=1")).toBe(
      "https://eu1.example.com:8443/base/x?q=1",
    );
    expect(joinUpstreamUrl("https://eu1.example.com/base/", "/x?q")).toBe("https://eu1.example.com/base/x?q");
  });

  it("uses the request path as it is when the address has no path", () => {
    expect(joinUpstreamUrl("http://127.0.0.1:8080", "/a/b?c=d&e")).toBe("http://127.0.0.1:8080/a/b?c=d&e");
    expect(joinUpstreamUrl("http://127.0.0.1:8080/", "/")).toBe("http://127.0.0.1:8080/");
  });

  it("keeps the trailing slash of the request path under a base path", () => {
    expect(joinUpstreamUrl("https://o.example.com/base", "/")).toBe("https://o.example.com/base/");
    expect(joinUpstreamUrl("https://o.example.com/base", "/dir/")).toBe("https://o.example.com/base/dir/");
  });

  it("never lets the request path change the origin's host", () => {
    expect(joinUpstreamUrl("https://o.example.com", "//evil.example/x")).toBe(
      "https://o.example.com//evil.example/x",
    );
    expect(new URL(joinUpstreamUrl("https://o.example.com", "//evil.example/x")).hostname).toBe(
      "o.example.com",
    );
  });

  it("drops the default port of the scheme", () => {
    expect(joinUpstreamUrl("https://o.example.com:443/b", "/x")).toBe("https://o.example.com/b/x");
  });
});

describe("the target of an attempt", () => {
  it("is the joined URL when the origin has no hostHeader", () => {
    expect(upstreamTarget({ address: "http://127.0.0.1:9000/api", hostHeader: null }, "/v1?x")).toEqual({
      url: "http://127.0.0.1:9000/api/v1?x",
      resolveOverride: null,
    });
  });

  it("names the hostHeader in the URL and resolves to the origin's host", () => {
    expect(
      upstreamTarget(
        { address: "https://origin-1.example.com:8443/base", hostHeader: "www.example.com" },
        "/p?q",
      ),
    ).toEqual({ url: "https://www.example.com:8443/base/p?q", resolveOverride: "origin-1.example.com" });
  });

  it("takes the port of a hostHeader that names one", () => {
    expect(
      upstreamTarget({ address: "https://origin-1.example.com", hostHeader: "www.example.com:9443" }, "/"),
    ).toEqual({ url: "https://www.example.com:9443/", resolveOverride: "origin-1.example.com" });
  });
});

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
