/**
 * Cloudflare load balancers as Edge LB load balancers: steering, pool weights, geo tables and
 * session affinity.
 */
import { describe, expect, it } from "vitest";
import { importCloudflare } from "../../../../scripts/cli/import-cloudflare.ts";
import {
  cloudflareExport,
  cloudflareLoadBalancer,
  cloudflareOrigin,
  cloudflarePool,
} from "../../../helpers/cloudflare-documents.ts";
import { loadBalancerOf, noteAt } from "./notes.ts";

const AT = "load_balancers[www.example.com]";

describe("load balancers", () => {
  it.each([
    ["off", {}, undefined],
    ["", {}, undefined],
    ["", { country_pools: { DE: ["p1"] } }, "geo"],
    ["geo", {}, "geo"],
    ["random", {}, "random"],
    ["least_outstanding_requests", {}, "least_connections"],
    ["least_connections", {}, "least_connections"],
    ["dynamic_latency", {}, undefined],
    ["proximity", {}, undefined],
  ])("steering_policy %j (with %j) becomes steering %s", (policy, fields, steering) => {
    expect(loadBalancerOf({ steering_policy: policy, ...fields }).lb?.steering).toBe(steering);
  });

  it("random_steering weighs the pools for random steering, and is noted elsewhere", () => {
    const weights = { default_weight: 0.2, pool_weights: { p2: 0.6, p3: 0.1 } };
    const random = loadBalancerOf({ steering_policy: "random", random_steering: weights });
    expect(random.lb?.poolWeights).toEqual({ "pool-p1": 1, "pool-p2": 3 });
    expect(noteAt(random.document, `${AT}.random_steering.pool_weights`)).toMatch(/"p3"/);
    const off = loadBalancerOf({ steering_policy: "off", random_steering: weights });
    expect(off.lb?.poolWeights).toBeUndefined();
    expect(noteAt(off.document, `${AT}.random_steering`)).toMatch(/only for random/);
  });

  it("session affinity: ip_cookie is a cookie, header takes its first header, cookie attributes are noted", () => {
    const ipCookie = loadBalancerOf({ session_affinity: "ip_cookie" });
    expect(ipCookie.lb?.sessionAffinity).toEqual({ type: "cookie", ttlSeconds: 82800 });
    expect(noteAt(ipCookie.document, `${AT}.session_affinity`)).toMatch(/ip_cookie/);

    const header = loadBalancerOf({
      session_affinity: "header",
      session_affinity_attributes: {
        headers: ["cookie:session", "X-User", "X-Tenant"],
        require_all_headers: true,
      },
    });
    expect(header.lb?.sessionAffinity).toEqual({ type: "header", headerName: "X-User", ttlSeconds: 1800 });
    expect(noteAt(header.document, `${AT}.session_affinity_attributes.headers`)).toMatch(
      /one header: "X-User"/,
    );

    const strict = loadBalancerOf({
      session_affinity: "cookie",
      session_affinity_attributes: { samesite: "Strict" },
    });
    expect(noteAt(strict.document, `${AT}.session_affinity_attributes.samesite`)).toMatch(/SameSite=Lax/);

    const cookiesOnly = loadBalancerOf({
      session_affinity: "header",
      session_affinity_attributes: { headers: ["cookie:a,b"] },
    });
    expect(cookiesOnly.lb?.sessionAffinity).toBeUndefined();
    expect(noteAt(cookiesOnly.document, `${AT}.session_affinity_attributes.headers`)).toMatch(/no affinity/);
  });

  it("zero_downtime_failover temporary keeps the pin while the origin is down; sticky re-pins", () => {
    const affinity = (failover: string) =>
      loadBalancerOf({
        session_affinity: "cookie",
        session_affinity_attributes: { zero_downtime_failover: failover },
      }).lb?.sessionAffinity;
    expect(affinity("temporary")).toMatchObject({ onOriginFailure: "temporary" });
    expect(affinity("sticky")).not.toHaveProperty("onOriginFailure");
  });

  it("a DNS-only load balancer is proxied, noted; its hostname and enabled flag carry over", () => {
    const { lb, document } = loadBalancerOf({ proxied: false, enabled: false, name: "*.Example.com" });
    expect(lb).toMatchObject({ id: "example-com", hostname: "*.example.com", enabled: false });
    expect(noteAt(document, "load_balancers[*.Example.com].proxied")).toMatch(/proxies every request/);
  });

  it("country codes that are not ISO alpha-2 and unknown regions are left out, with notes", () => {
    const { lb, document } = loadBalancerOf({
      steering_policy: "geo",
      country_pools: { de: ["p1"], DEU: ["p2"] },
      region_pools: { OC: ["p2"], MARS: ["p1"] },
    });
    expect(lb?.countryPools).toEqual({ DE: ["pool-p1"] });
    expect(lb?.regionPools).toEqual({ OC: ["pool-p2"] });
    expect(noteAt(document, `${AT}.country_pools.DEU`)).toBeDefined();
    expect(noteAt(document, `${AT}.region_pools.MARS`)).toBeDefined();
  });

  it("a load balancer without a valid hostname, or whose pools all failed, is left out", () => {
    expect(loadBalancerOf({ name: "not a hostname" }).lb).toBeUndefined();
    expect(loadBalancerOf({ default_pools: ["nope"] }).lb).toBeUndefined();
  });

  it("two load balancers on one hostname (two zones in one export): the first is converted", () => {
    const pool = cloudflarePool({
      id: "p",
      name: "web",
      origins: [cloudflareOrigin({ name: "a", address: "a.test" })],
    });
    const document = cloudflareExport({
      pools: [pool],
      load_balancers: [
        cloudflareLoadBalancer({ id: "l1", name: "www.test", default_pools: ["p"] }),
        cloudflareLoadBalancer({ id: "l2", name: "WWW.test", default_pools: ["p"] }),
      ],
    });
    const result = importCloudflare(document);
    // Both names read "www-test", so neither gets that plain slug: ids do not depend on the order.
    expect(result.config.loadBalancers.map((lb) => lb.id)).toEqual(["www-test-l1"]);
    expect(result.report.find((note) => note.at === "load_balancers[WWW.test]")?.kind).toBe("dropped");
  });

  it("fields this import does not read are noted", () => {
    const { document } = loadBalancerOf({ pool_sets: [{ name: "wnam-primary" }] });
    expect(noteAt(document, `${AT}.pool_sets`)).toBe("a field this import does not read");
  });
});
