import { describe, expect, it } from "vitest";
import {
  type ForwardingInfo,
  upstreamRequestHeaders,
  withOriginHeaders,
} from "../../../worker/proxy/headers.ts";

const info: ForwardingInfo = {
  clientIp: "198.51.100.7",
  proto: "https",
  host: "shop.example.com",
  requestId: "req-1",
  hops: 0,
  webSocket: false,
};

describe("headers of one attempt", () => {
  it("are the request's upstream headers themselves when the origin configures none", () => {
    const base = upstreamRequestHeaders(new Headers({ accept: "text/html" }), info);
    expect(withOriginHeaders(base, {})).toBe(base);
  });

  it("add the origin's configured headers, which win over the client's, on a copy", () => {
    const base = upstreamRequestHeaders(new Headers({ accept: "text/html", "x-tenant": "client" }), info);
    const headers = withOriginHeaders(base, { "x-tenant": "eu", authorization: "Bearer origin" });
    expect(headers.get("x-tenant")).toBe("eu");
    expect(headers.get("authorization")).toBe("Bearer origin");
    expect(headers.get("accept")).toBe("text/html");
    expect(headers.get("x-request-id")).toBe("req-1");
    // A retry on another origin starts again from the request's headers.
    expect(base.get("x-tenant")).toBe("client");
    expect(base.has("authorization")).toBe(false);
  });

  it("match what upstreamRequestHeaders builds with the origin's headers in one go", () => {
    const incoming = new Headers({ connection: "x-hop", "x-hop": "1", "x-forwarded-for": "203.0.113.9" });
    const origin = { "x-tenant": "eu" };
    const once = upstreamRequestHeaders(incoming, info, origin);
    const split = withOriginHeaders(upstreamRequestHeaders(incoming, info), origin);
    expect([...split]).toEqual([...once]);
  });
});
