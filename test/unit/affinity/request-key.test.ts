import { describe, expect, it } from "vitest";
import {
  affinityKeySpec,
  parseKeySpec,
  readCookie,
  requestKey,
} from "../../../worker/affinity/request-key.ts";

function source(url: string, headers: Record<string, string> = {}, clientIp: string | null = "203.0.113.9") {
  return { url: new URL(url), headers: new Headers(headers), clientIp };
}

describe("request keys", () => {
  it("parses every hashOn form", () => {
    expect(parseKeySpec("ip")).toEqual({ kind: "ip" });
    expect(parseKeySpec("path")).toEqual({ kind: "path" });
    expect(parseKeySpec("header:X-User")).toEqual({ kind: "header", name: "X-User" });
    expect(parseKeySpec("cookie:session")).toEqual({ kind: "cookie", name: "session" });
    expect(parseKeySpec("query:user_id")).toEqual({ kind: "query", name: "user_id" });
  });

  it("reads anything unrecognised as ip rather than failing", () => {
    for (const odd of ["", "headerX", "header:", ":x", "body:x", "header:a b", "cookie:a;b"]) {
      expect(parseKeySpec(odd)).toEqual({ kind: "ip" });
    }
  });

  it("takes each key from its source", () => {
    const request = source("https://www.example.com/a/b?user=42&user=43", {
      "x-user": "alice",
      cookie: "theme=dark; session=s-123",
    });
    expect(requestKey(parseKeySpec("ip"), request)).toEqual({ key: "203.0.113.9", from: "source" });
    expect(requestKey(parseKeySpec("path"), request)).toEqual({ key: "/a/b", from: "source" });
    expect(requestKey(parseKeySpec("header:X-User"), request)).toEqual({ key: "alice", from: "source" });
    expect(requestKey(parseKeySpec("cookie:session"), request)).toEqual({ key: "s-123", from: "source" });
    expect(requestKey(parseKeySpec("query:user"), request)).toEqual({ key: "42", from: "source" });
  });

  it("falls back to the client address when the named value is missing or empty", () => {
    const request = source("https://www.example.com/?user=", { "x-user": "", cookie: "other=1" });
    for (const spec of ["header:x-user", "header:x-absent", "cookie:session", "query:user", "query:absent"]) {
      expect(requestKey(parseKeySpec(spec), request)).toEqual({ key: "203.0.113.9", from: "client_ip" });
    }
  });

  it("falls back to the empty string without a client address", () => {
    const request = source("https://www.example.com/", {}, null);
    expect(requestKey(parseKeySpec("ip"), request)).toEqual({ key: "", from: "none" });
    expect(requestKey(parseKeySpec("header:x-user"), request)).toEqual({ key: "", from: "none" });
  });

  it("reads cookies exactly by name", () => {
    expect(readCookie("a__lb=1; __lb=2", "__lb")).toBe("2");
    expect(readCookie("__lb=first; __lb=second", "__lb")).toBe("first");
    expect(readCookie("  __lb = spaced ;x=1", "__lb")).toBe("spaced");
    expect(readCookie("flag; __lb=v=with=equals", "__lb")).toBe("v=with=equals");
    expect(readCookie("__LB=upper", "__lb")).toBeNull();
    expect(readCookie("", "__lb")).toBeNull();
    expect(readCookie(null, "__lb")).toBeNull();
    expect(readCookie("__lb", "__lb")).toBeNull();
  });

  it("maps session affinity types to key specs", () => {
    expect(affinityKeySpec({ type: "ip", headerName: null })).toEqual({ kind: "ip" });
    expect(affinityKeySpec({ type: "header", headerName: "x-session" })).toEqual({
      kind: "header",
      name: "x-session",
    });
    expect(affinityKeySpec({ type: "cookie", headerName: null })).toBeNull();
    expect(affinityKeySpec({ type: "none", headerName: null })).toBeNull();
  });
});
