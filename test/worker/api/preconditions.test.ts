import { describe, expect, it } from "vitest";
import { allowedMethods, pathMatches } from "../../../worker/api/allowed-methods.ts";
import { etag, ifMatchHolds, parseIfMatch } from "../../../worker/http/preconditions.ts";

describe("If-Match", () => {
  it.each([
    [undefined, undefined],
    ['"3"', [3]],
    ['W/"3"', [3]],
    ['"3", W/"4" , "5"', [3, 4, 5]],
    ["*", "*"],
    [" * ", "*"],
    ['"abc"', []],
    ["3", []],
    ['"99999999999999999999"', []],
  ])("parses %j as %j", (header, expected) => {
    expect(parseIfMatch(header)).toEqual(expected);
  });

  it("holds without a condition, for * and for a listed version only", () => {
    expect(ifMatchHolds(undefined, 7)).toBe(true);
    expect(ifMatchHolds("*", 7)).toBe(true);
    expect(ifMatchHolds([6, 7], 7)).toBe(true);
    expect(ifMatchHolds([6], 7)).toBe(false);
    expect(ifMatchHolds([], 7)).toBe(false);
  });

  it("writes the version as a strong ETag", () => {
    expect(etag(12)).toBe('"12"');
    expect(parseIfMatch(etag(12))).toEqual([12]);
  });
});

describe("allowedMethods", () => {
  const routes = [
    { method: "ALL", path: "/api/*" },
    { method: "GET", path: "/api/pools" },
    { method: "POST", path: "/api/pools" },
    { method: "GET", path: "/api/pools/:id" },
    { method: "DELETE", path: "/api/pools/:id" },
    { method: "POST", path: "/api/pools/:id/origins/:name{[a-z]+}/drain" },
  ];

  it("lists the methods of the matching endpoints, HEAD with GET, and nothing for unknown paths", () => {
    expect(allowedMethods(routes, "/api/pools")).toEqual(["GET", "HEAD", "POST"]);
    expect(allowedMethods(routes, "/api/pools/web")).toEqual(["DELETE", "GET", "HEAD"]);
    expect(allowedMethods(routes, "/api/pools/web/origins/abc/drain")).toEqual(["POST"]);
    expect(allowedMethods(routes, "/api/pools/web/origins/ABC/drain")).toEqual([]);
    expect(allowedMethods(routes, "/api/unknown")).toEqual([]);
    expect(allowedMethods(routes, "/api/pools/")).toEqual([]);
  });

  it("matches patterns segment by segment", () => {
    expect(pathMatches("/a/:id", "/a/b")).toBe(true);
    expect(pathMatches("/a/:id", "/a/")).toBe(false);
    expect(pathMatches("/a/:id", "/a/b/c")).toBe(false);
  });
});
