/**
 * Cloudflare pools and their origins as Edge LB pools.
 */
import { describe, expect, it } from "vitest";
import { originAddress } from "../../../../scripts/cli/cloudflare/pools.ts";
import { importCloudflare } from "../../../../scripts/cli/import-cloudflare.ts";
import {
  type CloudflareObject,
  cloudflareExport,
  cloudflareLoadBalancer,
  cloudflareOrigin,
  cloudflarePool,
} from "../../../helpers/cloudflare-documents.ts";
import { notes } from "./notes.ts";

const poolOf = (origins: CloudflareObject[], fields: CloudflareObject = {}) =>
  importCloudflare(
    cloudflareExport({ pools: [cloudflarePool({ id: "p", name: "web", origins, ...fields })] }),
  );

describe("origins", () => {
  it("names become unique origin names; weights keep their proportions; weight 0 stays 0", () => {
    const result = poolOf([
      cloudflareOrigin({ name: "app server", address: "a.test", weight: 0.5 }),
      cloudflareOrigin({ name: "app-server", address: "b.test", weight: 0.25 }),
      cloudflareOrigin({ name: "", address: "c.test", weight: 0 }),
    ]);
    expect(result.config.pools[0]!.origins).toEqual([
      { name: "app-server", address: "https://a.test", weight: 2 },
      { name: "app-server-2", address: "https://b.test" },
      { name: "c.test", address: "https://c.test", weight: 0 },
    ]);
  });

  it("addresses: a scheme, IPv6 in brackets, Cloudflare's port 0 as the scheme's default", () => {
    expect(originAddress("2001:db8::1", "https", 8443)).toBe("https://[2001:db8::1]:8443");
    expect(originAddress("203.0.113.10", "http", 0)).toBe("http://203.0.113.10");
    expect(originAddress("Origin.Example.com", "https", undefined)).toBe("https://origin.example.com");
    expect(originAddress("a.test/path", "https", undefined)).toBeNull();
    expect(originAddress("user@a.test", "https", undefined)).toBeNull();
  });

  it("an origin without a usable address is left out; a pool left with none is left out with its references", () => {
    const document = cloudflareExport({
      pools: [
        cloudflarePool({
          id: "p1",
          name: "broken",
          origins: [
            cloudflareOrigin({ name: "a", address: "" }),
            cloudflareOrigin({ name: "b", address: "bad host/x" }),
          ],
        }),
        cloudflarePool({
          id: "p2",
          name: "fine",
          origins: [cloudflareOrigin({ name: "a", address: "a.test" })],
        }),
      ],
      load_balancers: [cloudflareLoadBalancer({ id: "l", name: "www.test", default_pools: ["p1", "p2"] })],
    });
    const result = importCloudflare(document);
    expect(result.config.pools.map((pool) => pool.id)).toEqual(["fine"]);
    expect(result.config.loadBalancers[0]!.pools).toEqual(["fine"]);
    expect(notes(document).filter((line) => line.startsWith("dropped"))).toEqual([
      "dropped pools[broken].origins[a]",
      "dropped pools[broken].origins[b].address",
      "dropped pools[broken]",
      "dropped load_balancers[www.test].default_pools",
    ]);
  });

  it("a Host header Edge LB refuses, a private network and more Host values are noted", () => {
    const result = poolOf([
      cloudflareOrigin({ name: "a", address: "a.test", header: { Host: ["bad_host!"] } }),
      cloudflareOrigin({
        name: "b",
        address: "10.0.0.2",
        virtual_network_id: "a5624d4e-044a-4ff0-b3e1-e2465353d4b4",
      }),
      cloudflareOrigin({ name: "c", address: "c.test", header: { Host: ["one.test", "two.test"] } }),
    ]);
    expect(result.config.pools[0]!.origins.map((origin) => origin.hostHeader)).toEqual([
      undefined,
      undefined,
      "one.test",
    ]);
    const lines = result.report.map((note) => `${note.kind} ${note.at}`);
    expect(lines).toContain("dropped pools[web].origins[a].header.Host");
    expect(lines).toContain("dropped pools[web].origins[b].virtual_network_id");
    expect(lines).toContain("changed pools[web].origins[c].header.Host");
    expect(lines).toContain("check pools[web].origins");
  });
});

describe("pools", () => {
  it("origin steering becomes the pool's algorithm, Cloudflare's default random included", () => {
    const pool = (policy: unknown) =>
      poolOf([cloudflareOrigin({ name: "a", address: "a.test" })], { origin_steering: policy }).config
        .pools[0]!;
    expect(pool({ policy: "random" }).algorithm).toBe("random");
    expect(pool(null).algorithm).toBe("random");
    expect(pool({ policy: "hash" })).toMatchObject({ algorithm: "hash", hashOn: "ip" });
    expect(pool({ policy: "least_outstanding_requests" }).algorithm).toBe("least_connections");
    expect(pool({ policy: "least_connections" }).algorithm).toBe("least_connections");
  });

  it("minimum_origins above the number of origins is capped, with a note", () => {
    const result = poolOf([cloudflareOrigin({ name: "a", address: "a.test" })], { minimum_origins: 3 });
    expect(result.config.pools[0]!.minimumOrigins).toBe(1);
    expect(result.report.find((note) => note.at === "pools[web].minimum_origins")?.kind).toBe("changed");
  });

  it("load shedding, coordinates and notifications are noted only when set", () => {
    const origins = [cloudflareOrigin({ name: "a", address: "a.test" })];
    // Without a monitor, https is assumed; every origin lacks a Host header: those two notes always.
    expect(poolOf(origins).report.map((note) => note.at)).toEqual(["pools[web].origins", "pools"]);
    const set = poolOf(origins, {
      load_shedding: {
        default_percent: 20,
        default_policy: "random",
        session_percent: 0,
        session_policy: "hash",
      },
      latitude: 50.1,
      longitude: 8.7,
      notification_email: "ops@example.com",
    });
    expect(set.report.map((note) => note.at)).toEqual([
      "pools[web].origins",
      "pools[web].latitude",
      "pools[web].load_shedding",
      "pools[web].notification_email",
      "pools",
    ]);
  });
});
