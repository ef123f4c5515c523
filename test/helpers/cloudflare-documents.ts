/**
 * Documents shaped like Cloudflare Load Balancing's API answers, for `edge-lb import --from
 * cloudflare`.
 *
 * The shape is that of the example responses in Cloudflare's API reference (developers.cloudflare.com
 * /api/resources/load_balancers/): "List Load Balancers" (GET /zones/{zone_id}/load_balancers),
 * "List Pools" (GET /accounts/{account_id}/load_balancers/pools) and "List Monitors"
 * (GET /accounts/{account_id}/load_balancers/monitors). `REFERENCE_EXAMPLES` holds the `result`
 * arrays of those three examples field for field, placeholder values included ("monitor",
 * "fallback_pool", intervals of 0). `cloudflareExport` builds documents with exactly the same fields
 * and real values, for tests whose origins run on loopback.
 */

export const REFERENCE_EXAMPLES = {
  load_balancers: [
    {
      id: "699d98642c564d2e855e9661899b7252",
      adaptive_routing: { failover_across_pools: true },
      country_pools: {
        GB: ["abd90f38ced07c2e2f4df50b1f61d4194"],
        US: ["de90f38ced07c2e2f4df50b1f61d4194", "00920f38ce07c2e2f4df50b1f61d4194"],
      },
      created_on: "2014-01-01T05:20:00.12345Z",
      default_pools: [
        "17b5962d775c646f3f9725cbc7a53df4",
        "9290f38c5d07c2e2f4df57b1f61d4196",
        "00920f38ce07c2e2f4df50b1f61d4194",
      ],
      description: "Load Balancer for www.example.com",
      enabled: true,
      fallback_pool: "fallback_pool",
      location_strategy: { mode: "resolver_ip", prefer_ecs: "always" },
      modified_on: "2014-01-01T05:20:00.12345Z",
      name: "www.example.com",
      networks: ["string"],
      pop_pools: {
        LAX: ["de90f38ced07c2e2f4df50b1f61d4194", "9290f38c5d07c2e2f4df57b1f61d4196"],
        LHR: ["abd90f38ced07c2e2f4df50b1f61d4194", "f9138c5d07c2e2f4df57b1f61d4196"],
        SJC: ["00920f38ce07c2e2f4df50b1f61d4194"],
      },
      proxied: true,
      random_steering: {
        default_weight: 0.2,
        pool_weights: { "9290f38c5d07c2e2f4df57b1f61d4196": 0.5, de90f38ced07c2e2f4df50b1f61d4194: 0.3 },
      },
      region_pools: {
        ENAM: ["00920f38ce07c2e2f4df50b1f61d4194"],
        WNAM: ["de90f38ced07c2e2f4df50b1f61d4194", "9290f38c5d07c2e2f4df57b1f61d4196"],
      },
      rules: [
        {
          condition: 'http.request.uri.path contains "/testing"',
          disabled: true,
          fixed_response: {
            content_type: "application/json",
            location: "www.example.com",
            message_body: "Testing Hello",
            status_code: 0,
          },
          name: "route the path /testing to testing datacenter.",
          overrides: {
            adaptive_routing: { failover_across_pools: true },
            country_pools: {
              GB: ["abd90f38ced07c2e2f4df50b1f61d4194"],
              US: ["de90f38ced07c2e2f4df50b1f61d4194", "00920f38ce07c2e2f4df50b1f61d4194"],
            },
            default_pools: [
              "17b5962d775c646f3f9725cbc7a53df4",
              "9290f38c5d07c2e2f4df57b1f61d4196",
              "00920f38ce07c2e2f4df50b1f61d4194",
            ],
            fallback_pool: "fallback_pool",
            location_strategy: { mode: "resolver_ip", prefer_ecs: "always" },
            pop_pools: {
              LAX: ["de90f38ced07c2e2f4df50b1f61d4194", "9290f38c5d07c2e2f4df57b1f61d4196"],
              LHR: ["abd90f38ced07c2e2f4df50b1f61d4194", "f9138c5d07c2e2f4df57b1f61d4196"],
              SJC: ["00920f38ce07c2e2f4df50b1f61d4194"],
            },
            random_steering: {
              default_weight: 0.2,
              pool_weights: {
                "9290f38c5d07c2e2f4df57b1f61d4196": 0.5,
                de90f38ced07c2e2f4df50b1f61d4194: 0.3,
              },
            },
            region_pools: {
              ENAM: ["00920f38ce07c2e2f4df50b1f61d4194"],
              WNAM: ["de90f38ced07c2e2f4df50b1f61d4194", "9290f38c5d07c2e2f4df57b1f61d4196"],
            },
            session_affinity: "cookie",
            session_affinity_attributes: {
              drain_duration: 100,
              headers: ["x"],
              require_all_headers: true,
              samesite: "Auto",
              secure: "Auto",
              zero_downtime_failover: "sticky",
            },
            session_affinity_ttl: 1800,
            steering_policy: "dynamic_latency",
            ttl: 30,
          },
          priority: 0,
          terminates: true,
        },
      ],
      session_affinity: "cookie",
      session_affinity_attributes: {
        drain_duration: 100,
        headers: ["x"],
        require_all_headers: true,
        samesite: "Auto",
        secure: "Auto",
        zero_downtime_failover: "sticky",
      },
      session_affinity_ttl: 1800,
      steering_policy: "dynamic_latency",
      ttl: 30,
      zone_name: "example.com",
    },
  ],
  pools: [
    {
      id: "17b5962d775c646f3f9725cbc7a53df4",
      check_regions: ["WEU", "ENAM"],
      created_on: "2014-01-01T05:20:00.12345Z",
      description: "Primary data center - Provider XYZ",
      disabled_at: "2019-12-27T18:11:19.117Z",
      enabled: false,
      latitude: 0,
      load_shedding: {
        default_percent: 0,
        default_policy: "random",
        session_percent: 0,
        session_policy: "hash",
      },
      longitude: 0,
      minimum_origins: 0,
      modified_on: "2014-01-01T05:20:00.12345Z",
      monitor: "monitor",
      monitor_group: "monitor_group",
      name: "primary-dc-1",
      networks: ["string"],
      notification_email: "someone@example.com,sometwo@example.com",
      notification_filter: {
        origin: { disable: true, healthy: true },
        pool: { disable: true, healthy: false },
      },
      origin_steering: { policy: "random" },
      origins: [
        {
          address: "0.0.0.0",
          disabled_at: "2019-12-27T18:11:19.117Z",
          enabled: true,
          flatten_cname: true,
          header: { Host: ["example.com"] },
          name: "app-server-1",
          port: 0,
          virtual_network_id: "a5624d4e-044a-4ff0-b3e1-e2465353d4b4",
          weight: 0.6,
        },
      ],
    },
  ],
  monitors: [
    {
      id: "f1aba936b94213e5b8dca0c0dbf1f9cc",
      allow_insecure: true,
      consecutive_down: 0,
      consecutive_up: 0,
      created_on: "2014-01-01T05:20:00.12345Z",
      description: "Login page monitor",
      expected_body: "alive",
      expected_codes: "2xx",
      follow_redirects: true,
      header: { Host: ["example.com"], "X-App-ID": ["abc123"] },
      interval: 0,
      method: "GET",
      modified_on: "2014-01-01T05:20:00.12345Z",
      path: "/health",
      port: 0,
      probe_zone: "example.com",
      retries: 0,
      timeout: 0,
      type: "https",
    },
  ],
};

/** A Cloudflare object as JSON. */
export type CloudflareObject = Record<string, unknown>;

/**
 * The builders below give each object the fields of its reference example, with ordinary values:
 * the ones Cloudflare leaves out of real answers when they do not apply (`disabled_at` on what is
 * enabled, `virtual_network_id` on public origins, `monitor_group` on pools without one) are left
 * out, and `fields` replace or add any.
 */
export function cloudflareMonitor(fields: CloudflareObject & { id: string }): CloudflareObject {
  return {
    allow_insecure: false,
    consecutive_down: 0,
    consecutive_up: 0,
    created_on: "2026-01-05T09:12:31.000000Z",
    description: "Health endpoint",
    expected_body: "",
    expected_codes: "2xx",
    follow_redirects: false,
    header: {},
    interval: 60,
    method: "GET",
    modified_on: "2026-01-05T09:12:31.000000Z",
    path: "/health",
    port: 0,
    probe_zone: "",
    retries: 0,
    timeout: 5,
    type: "https",
    ...fields,
  };
}

export function cloudflareOrigin(
  fields: CloudflareObject & { name: string; address: string },
): CloudflareObject {
  return { enabled: true, flatten_cname: true, header: {}, port: 0, weight: 1, ...fields };
}

export function cloudflarePool(
  fields: CloudflareObject & { id: string; name: string; origins: CloudflareObject[] },
): CloudflareObject {
  return {
    check_regions: null,
    created_on: "2026-01-05T09:14:02.000000Z",
    description: "",
    enabled: true,
    load_shedding: {
      default_percent: 0,
      default_policy: "random",
      session_percent: 0,
      session_policy: "hash",
    },
    minimum_origins: 1,
    modified_on: "2026-01-05T09:14:02.000000Z",
    networks: ["cloudflare"],
    notification_email: "",
    notification_filter: null,
    origin_steering: { policy: "random" },
    ...fields,
  };
}

export function cloudflareLoadBalancer(
  fields: CloudflareObject & { id: string; name: string; default_pools: string[] },
): CloudflareObject {
  return {
    adaptive_routing: { failover_across_pools: false },
    country_pools: {},
    created_on: "2026-01-05T09:20:44.000000Z",
    description: "",
    enabled: true,
    fallback_pool: fields.default_pools[fields.default_pools.length - 1],
    location_strategy: { mode: "pop", prefer_ecs: "proximity" },
    modified_on: "2026-01-05T09:20:44.000000Z",
    networks: ["cloudflare"],
    pop_pools: {},
    proxied: true,
    random_steering: { default_weight: 1, pool_weights: {} },
    region_pools: {},
    rules: [],
    session_affinity: "none",
    session_affinity_attributes: {
      drain_duration: 0,
      headers: [],
      require_all_headers: false,
      samesite: "Auto",
      secure: "Auto",
      zero_downtime_failover: "none",
    },
    steering_policy: "off",
    ttl: 30,
    zone_name: "example.com",
    ...fields,
  };
}

/** One document holding the three lists, as `edge-lb import --from cloudflare` reads it. */
export function cloudflareExport(lists: {
  load_balancers?: CloudflareObject[];
  pools?: CloudflareObject[];
  monitors?: CloudflareObject[];
}): Record<"load_balancers" | "pools" | "monitors", CloudflareObject[]> {
  return {
    load_balancers: lists.load_balancers ?? [],
    pools: lists.pools ?? [],
    monitors: lists.monitors ?? [],
  };
}
