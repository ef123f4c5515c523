/**
 * What the Cloudflare import takes and how it names what it converts: ids from names, stable
 * whatever the order; Cloudflare's response envelopes; fields it does not read noted; input that
 * is not a Cloudflare export refused.
 */
import { describe, expect, it } from "vitest";
import { ImportError, importCloudflare } from "../../../../scripts/cli/import-cloudflare.ts";
import {
  type CloudflareObject,
  cloudflareExport,
  cloudflareOrigin,
  cloudflarePool,
  REFERENCE_EXAMPLES,
} from "../../../helpers/cloudflare-documents.ts";
import { notes } from "./notes.ts";

describe("ids", () => {
  const pool = (id: string, name: string) =>
    cloudflarePool({ id, name, origins: [cloudflareOrigin({ name: "a", address: "a.test" })] });

  it("come from names; names that share a slug all carry part of their Cloudflare id", () => {
    const result = importCloudflare(
      cloudflareExport({
        pools: [pool("17b5962d775c", "Web"), pool("9290f38c5d07", "web"), pool("00920f38", "api")],
      }),
    );
    expect(result.config.pools.map((p) => p.id)).toEqual(["web-17b5962d", "web-9290f38c", "api"]);
  });

  it("do not depend on the order of the list or on what else it holds", () => {
    const a = pool("aaaa1111", "eu-west");
    const b = pool("bbbb2222", "EU West");
    const c = pool("cccc3333", "us-east");
    const ids = (pools: CloudflareObject[]) =>
      Object.fromEntries(
        importCloudflare(cloudflareExport({ pools })).ids.map((entry) => [entry.cloudflareId, entry.id]),
      );
    expect(ids([a, b, c])).toEqual(ids([c, b, a]));
    expect(ids([a, c])).toEqual({ aaaa1111: "eu-west", cccc3333: "us-east" });
  });

  it("a pool listed twice is converted once", () => {
    const result = importCloudflare(cloudflareExport({ pools: [pool("p", "web"), pool("p", "web")] }));
    expect(result.config.pools).toHaveLength(1);
    expect(result.report[0]).toMatchObject({ kind: "dropped", at: "pools[web]" });
  });
});

describe("the input", () => {
  it("may hold Cloudflare's whole response envelopes instead of their result arrays", () => {
    const envelope = (result: unknown[]) => ({ success: true, errors: [], messages: [], result });
    const wrapped = {
      load_balancers: envelope(REFERENCE_EXAMPLES.load_balancers),
      pools: envelope(REFERENCE_EXAMPLES.pools),
      monitors: envelope(REFERENCE_EXAMPLES.monitors),
    };
    expect(importCloudflare(wrapped).config).toEqual(importCloudflare(REFERENCE_EXAMPLES).config);
  });

  it("fields and lists this import does not read are noted, not dropped silently", () => {
    const document = {
      ...cloudflareExport({
        pools: [
          cloudflarePool({
            id: "p",
            name: "web",
            health_sources: ["regional"],
            origins: [cloudflareOrigin({ name: "a", address: "a.test" })],
          }),
        ],
      }),
      zones: [],
      regions: [{ code: "WNAM" }],
    };
    expect(notes(document)).toEqual(
      expect.arrayContaining(["dropped regions", "dropped pools[web].health_sources"]),
    );
    expect(notes(document)).not.toContain("dropped zones");
  });

  it("that is not an object of Cloudflare lists is refused", () => {
    expect(() => importCloudflare([])).toThrow(ImportError);
    expect(() => importCloudflare({ result: [] })).toThrow(/none of load_balancers, pools and monitors/);
    expect(() => importCloudflare({ pools: "p" })).toThrow(/pools must be an array/);
  });

  it("with nothing convertible gives an empty document and says why", () => {
    const result = importCloudflare(
      cloudflareExport({ pools: [cloudflarePool({ id: "p", name: "web", origins: [] })] }),
    );
    expect(result.config).toEqual({ pools: [], loadBalancers: [] });
    expect(result.report).toEqual([expect.objectContaining({ kind: "dropped", at: "pools[web]" })]);
  });
});
