import { describe, expect, it } from "vitest";
import {
  downstreamResponseHeaders,
  type ForwardingInfo,
  isWebSocketUpgrade,
  readHops,
  requestIdOf,
  stripHopByHop,
  upstreamRequestHeaders,
} from "../../../worker/proxy/headers.ts";

const info: ForwardingInfo = {
  clientIp: "198.51.100.7",
  proto: "https",
  host: "shop.example.com:8443",
  requestId: "req-1",
  hops: 0,
  webSocket: false,
};

describe("headers sent upstream", () => {
  it("drops hop-by-hop headers and the ones Connection names", () => {
    const incoming = new Headers({
      connection: "keep-alive, X-Secret-Hop",
      "keep-alive": "timeout=5",
      "proxy-connection": "keep-alive",
      te: "trailers",
      trailer: "x-checksum",
      "transfer-encoding": "chunked",
      upgrade: "h2c",
      "x-secret-hop": "1",
      accept: "text/html",
    });
    const headers = upstreamRequestHeaders(incoming, info);
    for (const name of [
      "connection",
      "keep-alive",
      "proxy-connection",
      "te",
      "trailer",
      "transfer-encoding",
      "upgrade",
      "x-secret-hop",
    ]) {
      expect(headers.has(name), name).toBe(false);
    }
    expect(headers.get("accept")).toBe("text/html");
  });

  it("keeps the Upgrade of a WebSocket handshake", () => {
    const incoming = new Headers({ connection: "Upgrade", upgrade: "websocket", "sec-websocket-key": "k" });
    expect(isWebSocketUpgrade(incoming)).toBe(true);
    const headers = upstreamRequestHeaders(incoming, { ...info, webSocket: true });
    expect(headers.get("upgrade")).toBe("websocket");
    expect(headers.get("sec-websocket-key")).toBe("k");
  });

  it("appends the client address to X-Forwarded-For and sets proto, host, request id and hops", () => {
    const headers = upstreamRequestHeaders(new Headers({ "x-forwarded-for": "203.0.113.1" }), {
      ...info,
      hops: 2,
    });
    expect(headers.get("x-forwarded-for")).toBe("203.0.113.1, 198.51.100.7");
    expect(headers.get("x-forwarded-proto")).toBe("https");
    expect(headers.get("x-forwarded-host")).toBe("shop.example.com:8443");
    expect(headers.get("x-request-id")).toBe("req-1");
    expect(headers.get("x-edge-lb-hops")).toBe("3");
  });

  it("starts X-Forwarded-For with the client address, or leaves it alone when the address is unknown", () => {
    expect(upstreamRequestHeaders(new Headers(), info).get("x-forwarded-for")).toBe("198.51.100.7");
    expect(
      upstreamRequestHeaders(new Headers({ "x-forwarded-for": "203.0.113.1" }), {
        ...info,
        clientIp: null,
      }).get("x-forwarded-for"),
    ).toBe("203.0.113.1");
  });

  it("lets the origin's configured headers win over the client's", () => {
    const headers = upstreamRequestHeaders(new Headers({ "x-tenant": "client" }), info, {
      "X-Tenant": "origin",
      "X-Extra": "1",
    });
    expect(headers.get("x-tenant")).toBe("origin");
    expect(headers.get("x-extra")).toBe("1");
  });

  it("does not change the client's headers", () => {
    const incoming = new Headers({ connection: "close", "x-forwarded-for": "203.0.113.1" });
    upstreamRequestHeaders(incoming, info);
    expect(incoming.get("connection")).toBe("close");
    expect(incoming.get("x-forwarded-for")).toBe("203.0.113.1");
  });
});

describe("headers sent back to the client", () => {
  it("drops hop-by-hop headers, keeps the rest (every Set-Cookie) and sets X-Request-Id", () => {
    const upstream = new Headers([
      ["connection", "keep-alive, x-internal"],
      ["keep-alive", "timeout=5"],
      ["transfer-encoding", "chunked"],
      ["x-internal", "secret"],
      ["set-cookie", "a=1"],
      ["set-cookie", "b=2"],
      ["content-type", "text/plain"],
    ]);
    const headers = downstreamResponseHeaders(upstream, "req-9");
    expect(headers.has("connection")).toBe(false);
    expect(headers.has("keep-alive")).toBe(false);
    expect(headers.has("transfer-encoding")).toBe(false);
    expect(headers.has("x-internal")).toBe(false);
    expect(headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(headers.get("content-type")).toBe("text/plain");
    expect(headers.get("x-request-id")).toBe("req-9");
  });

  it("ignores a Connection token that is not a header name", () => {
    const headers = new Headers({ connection: "bad token, x-a", "x-a": "1", "x-b": "2" });
    stripHopByHop(headers);
    expect([...headers.keys()]).toEqual(["x-b"]);
  });
});

describe("request id and hop count", () => {
  it("keeps a sane client request id and replaces anything else", () => {
    const generate = () => "generated";
    expect(requestIdOf(new Headers({ "x-request-id": "abc-123" }), generate)).toBe("abc-123");
    expect(requestIdOf(new Headers(), generate)).toBe("generated");
    expect(requestIdOf(new Headers({ "x-request-id": "has space" }), generate)).toBe("generated");
    expect(requestIdOf(new Headers({ "x-request-id": "x".repeat(201) }), generate)).toBe("generated");
  });

  it("reads the hop count, counting a missing or malformed one as 0", () => {
    expect(readHops(new Headers({ "x-edge-lb-hops": "4" }))).toBe(4);
    expect(readHops(new Headers())).toBe(0);
    expect(readHops(new Headers({ "x-edge-lb-hops": "-1" }))).toBe(0);
    expect(readHops(new Headers({ "x-edge-lb-hops": "lots" }))).toBe(0);
  });
});
