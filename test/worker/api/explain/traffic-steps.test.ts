import { describe, expect, it } from "vitest";
import { explainTraffic } from "../../../../worker/api/explain/traffic.ts";
import {
  type LoadBalancer,
  type LoadBalancerInput,
  LoadBalancerSchema,
} from "../../../../worker/config/schema.ts";

function lb(input: Partial<LoadBalancerInput>): LoadBalancer {
  return {
    ...LoadBalancerSchema.parse({ id: "x", hostname: "x.test", pools: ["stable", "canary"], ...input }),
    version: 1,
  };
}

function described(target: string, headers: Record<string, string> = {}, method = "GET") {
  return {
    url: new URL(target),
    ip: "203.0.113.7",
    headers: new Headers({ "cf-connecting-ip": "203.0.113.7", ...headers }),
    location: { country: "DE", continent: "EU" },
    method,
  };
}

describe("explain: traffic steps", () => {
  it("reads the split key and the override header", () => {
    const balancer = lb({ steering: "hash", splitOn: "cookie:uid", poolOverrideHeader: "x-pool" });
    const withCookie = explainTraffic(
      balancer,
      described("https://x.test/", { cookie: "uid=42", "x-pool": "canary" }),
    );
    expect(withCookie.split).toEqual({ splitOn: "cookie:uid", key: "42", overridePool: "canary" });
    expect(withCookie.steering).toEqual({ splitKey: "42", overridePool: "canary" });
    // Without the cookie the client address is the key.
    expect(explainTraffic(balancer, described("https://x.test/")).split?.key).toBe("203.0.113.7");
    expect(explainTraffic(lb({}), described("https://x.test/")).split).toBeNull();
  });

  it("uses the described location and method for rules", () => {
    const balancer = lb({
      rules: [
        { name: "writes", when: { method: ["POST"] }, then: { respond: { status: 405, body: "no" } } },
        { name: "eu", when: { continent: ["EU"] }, then: { pools: ["canary"] } },
      ],
    });
    const post = explainTraffic(balancer, described("https://x.test/", {}, "POST"));
    expect(post.rule).toEqual({ name: "writes", action: "respond", status: 405 });
    expect(post.answer).toMatchObject({ status: 405, body: "no" });
    const get = explainTraffic(balancer, described("https://x.test/"));
    expect(get.rules.map((step) => step.matched)).toEqual([false, true]);
    expect(get.rule).toEqual({ name: "eu", action: "pools", pools: ["canary"] });
    expect(get.loadBalancer.pools).toEqual(["canary"]);
  });

  it("gives the share a mirror copies, or why none", () => {
    const balancer = lb({ mirror: { pool: "canary", percent: 25 } });
    expect(explainTraffic(balancer, described("https://x.test/")).mirror).toMatchObject({
      pool: "canary",
      share: 0.25,
    });
    expect(explainTraffic(balancer, described("https://x.test/", {}, "DELETE")).mirror).toMatchObject({
      share: 0,
      reason: "DELETE is not one of GET, HEAD",
    });
  });
});
