/**
 * Converting Cloudflare Load Balancing's API answers into an Edge LB document: the examples of
 * Cloudflare's API reference as they are, and a document of the same shape with real values. The
 * ids chosen and what the input may be: cloudflare/input.test.ts.
 */
import { describe, expect, it } from "vitest";
import { importCloudflare } from "../../../scripts/cli/import-cloudflare.ts";
import { parseConfigDocument } from "../../../worker/config/document.ts";
import {
  cloudflareExport,
  cloudflareLoadBalancer,
  cloudflareMonitor,
  cloudflareOrigin,
  cloudflarePool,
  REFERENCE_EXAMPLES,
} from "../../helpers/cloudflare-documents.ts";
import { notes } from "./cloudflare/notes.ts";

describe("the examples of Cloudflare's API reference", () => {
  const result = importCloudflare(REFERENCE_EXAMPLES);

  it("become a document Edge LB accepts: the pool and its origin, the load balancer on its hostname", () => {
    expect(result.config).toEqual({
      pools: [
        {
          id: "primary-dc-1",
          description: "Primary data center - Provider XYZ",
          enabled: false,
          algorithm: "random",
          origins: [{ name: "app-server-1", address: "https://0.0.0.0", hostHeader: "example.com" }],
        },
      ],
      loadBalancers: [
        {
          id: "www-example-com",
          description: "Load Balancer for www.example.com",
          hostname: "www.example.com",
          pools: ["primary-dc-1"],
          // drain_duration 100 in the example: pinned sessions keep a draining origin 100 s.
          sessionAffinity: { type: "cookie", ttlSeconds: 1800, drainSeconds: 100 },
        },
      ],
    });
    expect(parseConfigDocument(result.config).ok).toBe(true);
    expect(result.ids).toEqual([
      {
        kind: "pool",
        cloudflareId: "17b5962d775c646f3f9725cbc7a53df4",
        name: "primary-dc-1",
        id: "primary-dc-1",
      },
      {
        kind: "load balancer",
        cloudflareId: "699d98642c564d2e855e9661899b7252",
        name: "www.example.com",
        id: "www-example-com",
      },
    ]);
  });

  it("report every setting that did not carry over, and nothing that did", () => {
    const lb = "load_balancers[www.example.com]";
    const pool = "pools[primary-dc-1]";
    expect(notes(REFERENCE_EXAMPLES)).toEqual([
      `dropped ${pool}.monitor_group`,
      `dropped ${pool}.monitor`,
      `dropped ${pool}.origins[app-server-1].virtual_network_id`,
      `check ${pool}.origins`,
      `assumed ${pool}.origins`,
      `dropped ${pool}.check_regions`,
      `dropped ${pool}.latitude`,
      `dropped ${pool}.notification_email`,
      `dropped ${pool}.networks`,
      "dropped monitors[f1aba936b94213e5b8dca0c0dbf1f9cc]",
      `dropped ${lb}.default_pools`,
      `dropped ${lb}.default_pools`,
      `dropped ${lb}.fallback_pool`,
      `changed ${lb}.steering_policy`,
      `dropped ${lb}.random_steering`,
      `dropped ${lb}.region_pools.ENAM`,
      `dropped ${lb}.region_pools.WNAM`,
      `dropped ${lb}.region_pools.WNAM`,
      `dropped ${lb}.country_pools.GB`,
      `dropped ${lb}.country_pools.US`,
      `dropped ${lb}.country_pools.US`,
      `dropped ${lb}.pop_pools`,
      `dropped ${lb}.rules[route the path /testing to testing datacenter.]`,
      `dropped ${lb}.location_strategy`,
      `dropped ${lb}.networks`,
      "check pools",
    ]);
    const message = (at: string) => result.report.find((note) => note.at === at)?.message;
    expect(message(`${pool}.monitor`)).toBe(
      'monitor "monitor" is not in the document\'s monitors: no active check',
    );
    expect(message(`${lb}.fallback_pool`)).toMatch(/"fallback_pool" is not among the converted pools/);
    expect(message(`${lb}.steering_policy`)).toBe(
      "Edge LB has no dynamic_latency steering: failover (pools in order)",
    );
    expect(message(`${pool}.origins`)).toMatch(/app-server-1 is addressed by IP/);
    expect(message(`${lb}.rules[route the path /testing to testing datacenter.]`)).toBe("a disabled rule");
  });

  it("turn the reference monitor, once a pool uses it, into the pool's health check", () => {
    const [monitor] = REFERENCE_EXAMPLES.monitors;
    const document = {
      ...REFERENCE_EXAMPLES,
      pools: [{ ...REFERENCE_EXAMPLES.pools[0]!, monitor: monitor!.id }],
    };
    const converted = importCloudflare(document);
    expect(converted.config.pools[0]!.healthCheck).toEqual({
      path: "/health",
      headers: { "X-App-ID": "abc123" },
      expectedCodes: "2xx",
      expectedBody: "alive",
      intervalSeconds: 60,
      timeoutMs: 5000,
      healthyThreshold: 1,
      unhealthyThreshold: 1,
      followRedirects: true,
    });
    expect(converted.config.pools[0]!.origins[0]!.address).toBe("https://0.0.0.0");
    expect(converted.monitors).toBe(1);
    const at = `monitors[${monitor!.id}]`;
    expect(converted.report.filter((note) => note.at.startsWith(at)).map((n) => `${n.kind} ${n.at}`)).toEqual(
      [
        `dropped ${at}.header.Host`,
        `changed ${at}.expected_body`,
        `dropped ${at}.allow_insecure`,
        `assumed ${at}.interval`,
        `assumed ${at}.timeout`,
        `dropped ${at}.probe_zone`,
      ],
    );
  });
});

describe("a document shaped like the reference, with real values", () => {
  const document = cloudflareExport({
    monitors: [
      cloudflareMonitor({
        id: "a1",
        type: "http",
        path: "/healthz",
        header: { Host: ["www.example.com"], "X-App-ID": ["abc123"] },
        port: 8080,
        interval: 30,
        timeout: 4,
        retries: 2,
        consecutive_up: 2,
        consecutive_down: 3,
        expected_codes: "200",
        expected_body: "ok",
        follow_redirects: true,
      }),
      cloudflareMonitor({ id: "b2", type: "tcp", method: "connection_established", path: "", port: 5432 }),
    ],
    pools: [
      cloudflarePool({
        id: "e0",
        name: "eu-west",
        description: "Frankfurt",
        monitor: "a1",
        minimum_origins: 2,
        origin_steering: { policy: "least_outstanding_requests" },
        origins: [
          cloudflareOrigin({ name: "eu-1", address: "eu1.example.com", port: 8080, weight: 0.6 }),
          cloudflareOrigin({
            name: "eu-2",
            address: "eu2.example.com",
            port: 8080,
            weight: 0.4,
            header: { Host: ["WWW.example.com"] },
          }),
          cloudflareOrigin({
            name: "eu 3",
            address: "2001:db8::3",
            port: 8080,
            weight: 0.2,
            enabled: false,
            disabled_at: "2026-01-06T10:00:00Z",
          }),
        ],
      }),
      cloudflarePool({
        id: "u0",
        name: "us-east",
        monitor: "b2",
        origin_steering: { policy: "hash" },
        origins: [cloudflareOrigin({ name: "us-1", address: "us1.example.com" })],
      }),
      cloudflarePool({
        id: "b0",
        name: "backup",
        origins: [cloudflareOrigin({ name: "b", address: "backup.example.com" })],
      }),
    ],
    load_balancers: [
      cloudflareLoadBalancer({
        id: "w0",
        name: "www.example.com",
        default_pools: ["e0", "u0"],
        fallback_pool: "b0",
        steering_policy: "",
        region_pools: { WEU: ["e0"], EEU: ["e0"], ENAM: ["u0"], WNAM: ["u0", "e0"] },
        country_pools: { US: ["u0"] },
        session_affinity: "header",
        session_affinity_ttl: 600,
        session_affinity_attributes: {
          drain_duration: 0,
          headers: ["X-Session"],
          require_all_headers: false,
          samesite: "Auto",
          secure: "Auto",
          zero_downtime_failover: "temporary",
        },
      }),
      cloudflareLoadBalancer({
        id: "a0",
        name: "api.example.com",
        default_pools: ["e0", "u0"],
        steering_policy: "random",
        random_steering: { default_weight: 0.5, pool_weights: { u0: 0.25 } },
        session_affinity: "cookie",
        session_affinity_ttl: 82800,
      }),
    ],
  });
  const result = importCloudflare(document);

  it("keeps origins (scheme from the monitor, port, weights in proportion, Host), checks, steering and affinity", () => {
    expect(result.config.pools).toEqual([
      {
        id: "eu-west",
        description: "Frankfurt",
        algorithm: "least_connections",
        minimumOrigins: 2,
        origins: [
          { name: "eu-1", address: "http://eu1.example.com:8080", weight: 3 },
          { name: "eu-2", address: "http://eu2.example.com:8080", weight: 2, hostHeader: "www.example.com" },
          { name: "eu-3", address: "http://[2001:db8::3]:8080", enabled: false },
        ],
        healthCheck: {
          path: "/healthz",
          headers: { "X-App-ID": "abc123" },
          expectedCodes: "200",
          expectedBody: "ok",
          intervalSeconds: 30,
          timeoutMs: 4000,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
          followRedirects: true,
        },
      },
      {
        id: "us-east",
        algorithm: "hash",
        hashOn: "ip",
        origins: [{ name: "us-1", address: "https://us1.example.com" }],
        healthCheck: {
          type: "tcp",
          intervalSeconds: 60,
          timeoutMs: 5000,
          healthyThreshold: 1,
          unhealthyThreshold: 1,
        },
      },
      { id: "backup", algorithm: "random", origins: [{ name: "b", address: "https://backup.example.com" }] },
    ]);
    expect(result.config.loadBalancers).toEqual([
      {
        id: "www-example-com",
        hostname: "www.example.com",
        pools: ["eu-west", "us-east"],
        fallbackPool: "backup",
        steering: "geo",
        regionPools: { EU: ["eu-west"], NA: ["us-east", "eu-west"] },
        countryPools: { US: ["us-east"] },
        sessionAffinity: {
          type: "header",
          headerName: "X-Session",
          ttlSeconds: 600,
          onOriginFailure: "temporary",
        },
      },
      {
        id: "api-example-com",
        hostname: "api.example.com",
        pools: ["eu-west", "us-east"],
        fallbackPool: "us-east",
        steering: "random",
        poolWeights: { "eu-west": 2, "us-east": 1 },
        sessionAffinity: { type: "cookie", ttlSeconds: 82800 },
      },
    ]);
    expect(parseConfigDocument(result.config).ok).toBe(true);
    expect(result.monitors).toBe(2);
  });

  it("reports the differences: Host of checks, body case, retries, TCP port, regions as continents, Host", () => {
    expect(result.report.map((note) => `${note.kind} ${note.at}`)).toEqual([
      "dropped monitors[a1].header.Host",
      "changed monitors[a1].expected_body",
      "changed monitors[a1].retries",
      "check pools[eu-west].origins",
      "assumed pools[us-east].origins",
      "changed pools[us-east].monitor",
      "assumed pools[backup].origins",
      "changed load_balancers[www.example.com].region_pools",
      "changed pools",
      "check pools",
    ]);
    const message = (at: string) => result.report.find((note) => note.at === at)!.message;
    expect(message("monitors[a1].retries")).toMatch(/unhealthy after 3 failed checks in a row/);
    expect(message("pools[us-east].monitor")).toBe(
      "the monitor probes port 5432; Edge LB probes each origin on the port its requests go to (us-1)",
    );
    expect(message("load_balancers[www.example.com].region_pools")).toBe(
      "Edge LB steers by the client's continent: WEU → EU, EEU → EU, ENAM → NA, WNAM → NA; " +
        "regions of one continent share its pools, in order",
    );
    expect(result.report.find((note) => note.kind === "changed" && note.at === "pools")!.message).toContain(
      "(eu-west/eu-1, eu-west/eu-3, us-east/us-1, backup/b)",
    );
  });
});
