import { describe, expect, it } from "vitest";
import { parseConfigDocument } from "../../../worker/config/document.ts";

const pool = (id: string) => ({ id, origins: [{ name: "a", address: "http://127.0.0.1:9001" }] });
const lb = (id: string, pools: string[], extra: Record<string, unknown> = {}) => ({
  id,
  hostname: "www.example.com",
  pools,
  ...extra,
});

function errors(input: unknown) {
  const result = parseConfigDocument(input);
  if (result.ok) throw new Error("expected a validation failure");
  return result.errors;
}

describe("parseConfigDocument", () => {
  it("accepts a valid document, fills defaults and ignores versions", () => {
    const result = parseConfigDocument({
      version: 12,
      pools: [{ ...pool("web"), version: 4 }],
      loadBalancers: [lb("www", ["web"])],
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.pools[0]).not.toHaveProperty("version");
    expect(result.value.loadBalancers[0]?.steering).toBe("failover");
  });

  it("treats missing lists as empty", () => {
    expect(parseConfigDocument({})).toEqual({ ok: true, value: { pools: [], loadBalancers: [] } });
  });

  it("reports errors with their place in the document", () => {
    const bad = { id: "bad", origins: [{ name: "a", address: "mailto:x@example.com" }] };
    expect(errors({ pools: [pool("ok"), bad] })).toEqual([
      { path: "pools[1].origins[0].address", message: "scheme must be http or https" },
    ]);
  });

  it("rejects duplicate ids within a kind", () => {
    expect(errors({ pools: [pool("web"), pool("web")] })).toEqual([
      { path: "pools[1].id", message: 'duplicate id "web" (also pools[0])' },
    ]);
  });

  it("rejects pool references that the document does not define", () => {
    const found = errors({
      pools: [pool("web")],
      loadBalancers: [lb("www", ["web", "gone"], { fallbackPool: "spare", countryPools: { US: ["us"] } })],
    });
    expect(found.map((e) => e.path)).toEqual([
      "loadBalancers[0].pools[1]",
      "loadBalancers[0].fallbackPool",
      "loadBalancers[0].countryPools.US[0]",
    ]);
  });

  it("rejects two load balancers on the same hostname and path prefix", () => {
    const found = errors({
      pools: [pool("web")],
      loadBalancers: [lb("one", ["web"]), lb("two", ["web"], { pathPrefix: "/api" }), lb("three", ["web"])],
    });
    expect(found).toHaveLength(1);
    expect(found[0]?.path).toBe("loadBalancers[2].pathPrefix");
    expect(found[0]?.message).toContain('"one"');
  });

  it("rejects unknown top-level fields and lists that are not arrays", () => {
    expect(errors({ pools: {}, extra: true })).toEqual([
      { path: "extra", message: "unknown field" },
      { path: "pools", message: "must be an array" },
    ]);
  });
});
