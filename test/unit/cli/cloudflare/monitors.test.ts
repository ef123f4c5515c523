/**
 * Cloudflare monitors as the health checks of the pools that use them.
 */
import { describe, expect, it } from "vitest";
import { importCloudflare } from "../../../../scripts/cli/import-cloudflare.ts";
import {
  type CloudflareObject,
  cloudflareExport,
  cloudflareMonitor,
  cloudflareOrigin,
  cloudflarePool,
} from "../../../helpers/cloudflare-documents.ts";
import { noteAt, withMonitor } from "./notes.ts";

const check = (fields: CloudflareObject) => {
  const result = importCloudflare(withMonitor(cloudflareMonitor({ id: "m", ...fields })));
  return { check: result.config.pools[0]!.healthCheck, result };
};

describe("monitors", () => {
  it("a timeout as long as the interval becomes Edge LB's default for that interval", () => {
    const { check: converted, result } = check({ interval: 5, timeout: 5 });
    expect(converted).toMatchObject({ intervalSeconds: 5, timeoutMs: 2500 });
    expect(result.report.find((note) => note.at === "monitors[m].timeout")?.kind).toBe("changed");
  });

  it("a method other than GET or HEAD becomes GET; codes Edge LB cannot read become 2xx; HEAD stays", () => {
    expect(check({ method: "POST" }).check).not.toHaveProperty("method");
    expect(noteAt(withMonitor(cloudflareMonitor({ id: "m", method: "POST" })), "monitors[m].method")).toMatch(
      /"POST" became GET/,
    );
    expect(check({ expected_codes: "2xx or 3xx" }).check).toMatchObject({ expectedCodes: "2xx" });
    expect(check({ expected_codes: "" }).check).toMatchObject({ expectedCodes: "2xx" });
    expect(check({ expected_codes: "200-299,301" }).check).toMatchObject({ expectedCodes: "200-299,301" });
    expect(check({ method: "HEAD" }).check).toMatchObject({ method: "HEAD" });
  });

  it("an interval beyond an hour is an hour; a path Edge LB refuses becomes /", () => {
    expect(check({ interval: 7200 }).check).toMatchObject({ intervalSeconds: 3600 });
    expect(check({ path: "health check" }).check).toMatchObject({ path: "/" });
    expect(check({ path: "health check" }).result.report.map((note) => note.at)).toContain(
      "monitors[m].path",
    );
  });

  it("consecutive_up and consecutive_down are the thresholds; Cloudflare's 0 means one result decides", () => {
    expect(check({ consecutive_up: 3, consecutive_down: 2 }).check).toMatchObject({
      healthyThreshold: 3,
      unhealthyThreshold: 2,
    });
    expect(check({ consecutive_up: 0, consecutive_down: 0 }).check).toMatchObject({
      healthyThreshold: 1,
      unhealthyThreshold: 1,
    });
  });

  it("headers go with each check, except Host; repeated values are joined", () => {
    const { check: converted, result } = check({ header: { Host: ["app.test"], "X-Probe": ["a", "b"] } });
    expect(converted?.headers).toEqual({ "X-Probe": "a, b" });
    expect(result.report.find((note) => note.at === "monitors[m].header.Host")?.kind).toBe("dropped");
  });

  it("an https monitor's non-standard port is noted when the origins serve on another", () => {
    const document = withMonitor(cloudflareMonitor({ id: "m", port: 8443 }));
    expect(noteAt(document, "pools[web].monitor")).toMatch(/probes port 8443/);
    const same = withMonitor(cloudflareMonitor({ id: "m", port: 8443 }), { port: 8443 });
    expect(importCloudflare(same).config.pools[0]!.origins[0]!.address).toBe("https://a.example.com:8443");
    expect(noteAt(same, "pools[web].monitor")).toBeUndefined();
  });

  it("an http monitor makes the origins http", () => {
    const result = importCloudflare(
      withMonitor(cloudflareMonitor({ id: "m", type: "http" }), { port: 8080 }),
    );
    expect(result.config.pools[0]!.origins[0]!.address).toBe("http://a.example.com:8080");
  });

  it("a tcp monitor becomes a TCP check of the origin's own port, its timing kept", () => {
    const { check: converted, result } = check({ type: "tcp", method: "connection_established", port: 443 });
    expect(converted).toEqual({
      type: "tcp",
      intervalSeconds: 60,
      timeoutMs: 5000,
      healthyThreshold: 1,
      unhealthyThreshold: 1,
    });
    expect(result.report.map((note) => note.at)).not.toContain("pools[web].monitor");
    const other = check({ type: "tcp", port: 5432 });
    expect(other.result.report.find((note) => note.at === "pools[web].monitor")?.message).toMatch(
      /port 5432/,
    );
  });

  it.each(["udp_icmp", "icmp_ping", "smtp"])("a %s monitor gives no active check", (type) => {
    const { check: converted, result } = check({ type, port: 25 });
    expect(converted).toBeUndefined();
    expect(result.config.pools[0]!.origins[0]!.address).toBe("https://a.example.com");
    expect(result.report.find((note) => note.at === "monitors[m].type")?.kind).toBe("dropped");
    expect(result.report.find((note) => note.at === "pools[web].origins")?.kind).toBe("assumed");
  });

  it("one monitor shared by two pools is noted once and checks both", () => {
    const document = cloudflareExport({
      monitors: [cloudflareMonitor({ id: "m", allow_insecure: true })],
      pools: ["p1", "p2"].map((id) =>
        cloudflarePool({
          id,
          name: id,
          monitor: "m",
          origins: [cloudflareOrigin({ name: "a", address: `${id}.test` })],
        }),
      ),
    });
    const result = importCloudflare(document);
    expect(result.config.pools.map((pool) => pool.healthCheck?.path)).toEqual(["/health", "/health"]);
    expect(result.report.filter((note) => note.at === "monitors[m].allow_insecure")).toHaveLength(1);
    expect(result.monitors).toBe(1);
  });

  it("a monitor no pool uses, and a pool's monitor that is not in the document, are noted", () => {
    const document = cloudflareExport({
      monitors: [cloudflareMonitor({ id: "unused" })],
      pools: [
        cloudflarePool({
          id: "p",
          name: "web",
          monitor: "gone",
          origins: [cloudflareOrigin({ name: "a", address: "a.test" })],
        }),
      ],
    });
    expect(noteAt(document, "monitors[unused]")).toMatch(/no converted pool uses it/);
    expect(noteAt(document, "pools[web].monitor")).toMatch(/"gone" is not in the document's monitors/);
    expect(importCloudflare(document).config.pools[0]!.healthCheck).toBeUndefined();
  });
});
