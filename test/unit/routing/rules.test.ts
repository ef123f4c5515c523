import { describe, expect, it } from "vitest";
import {
  type LoadBalancer,
  type LoadBalancerInput,
  LoadBalancerSchema,
} from "../../../worker/config/schema.ts";
import {
  compileRules,
  matchRule,
  type RuleRequest,
  redirectLocation,
  traceRules,
} from "../../../worker/routing/rules.ts";

function lb(rules: unknown[], input: Partial<LoadBalancerInput> = {}): LoadBalancer {
  return {
    ...LoadBalancerSchema.parse({ id: "x", hostname: "x.test", pools: ["stable"], rules, ...input }),
    version: 1,
  };
}

function request(
  target: string,
  init: { method?: string; headers?: Record<string, string>; country?: string; continent?: string } = {},
): RuleRequest {
  const url = new URL(target, "https://x.test");
  return {
    method: init.method ?? "GET",
    path: url.pathname,
    headers: new Headers(init.headers ?? {}),
    url,
    country: init.country ?? null,
    continent: init.continent ?? null,
  };
}

const RULES = [
  {
    name: "maintenance",
    when: { "header.x-maintenance": { present: true } },
    then: { respond: { status: 503, body: "back soon" } },
  },
  { name: "beta", when: { "header.x-beta": "1", method: ["GET", "HEAD"] }, then: { pools: ["beta"] } },
  {
    name: "api-v2",
    when: { path: { regex: "^/api/v2/" }, "cookie.tier": { regex: "^(gold|silver)$" } },
    then: { pools: ["v2"] },
  },
  {
    name: "preview",
    when: { "query.preview": "on" },
    then: { redirect: { location: "https://preview.test/", keepPath: true } },
  },
  { name: "eu", when: { continent: ["EU"], country: ["DE", "FR"] }, then: { pools: ["eu"] } },
];

describe("rules", () => {
  const rules = compileRules(lb(RULES));

  it("the first rule whose conditions all hold decides", () => {
    expect(
      matchRule(rules, request("/", { headers: { "x-maintenance": "", "x-beta": "1" } }))?.rule.name,
    ).toBe("maintenance");
    expect(matchRule(rules, request("/", { headers: { "x-beta": "1" } }))?.rule.name).toBe("beta");
    expect(matchRule(rules, request("/", { method: "POST", headers: { "x-beta": "1" } }))).toBeNull();
    expect(matchRule(rules, request("/", { headers: { "x-beta": "2" } }))).toBeNull();
    expect(matchRule(rules, request("/api/v2/cart", { headers: { cookie: "a=b; tier=gold" } }))?.index).toBe(
      2,
    );
    expect(matchRule(rules, request("/api/v2/cart", { headers: { cookie: "tier=bronze" } }))).toBeNull();
    expect(matchRule(rules, request("/api/v1/cart", { headers: { cookie: "tier=gold" } }))).toBeNull();
    expect(matchRule(rules, request("/x?preview=on"))?.rule.name).toBe("preview");
    expect(matchRule(rules, request("/x?preview=off"))).toBeNull();
    expect(matchRule(rules, request("/", { country: "DE", continent: "EU" }))?.rule.name).toBe("eu");
    expect(matchRule(rules, request("/", { country: "ES", continent: "EU" }))).toBeNull();
    expect(matchRule(rules, request("/"))).toBeNull();
  });

  it("present: false matches only when absent", () => {
    const only = compileRules(
      lb([{ name: "anon", when: { "cookie.session": { present: false } }, then: { pools: ["a"] } }]),
    );
    expect(matchRule(only, request("/"))?.rule.name).toBe("anon");
    expect(matchRule(only, request("/", { headers: { cookie: "session=1" } }))).toBeNull();
  });

  it("a rule without conditions matches everything", () => {
    const all = compileRules(lb([{ name: "all", then: { respond: {} } }]));
    expect(matchRule(all, request("/anything"))?.rule.action.kind).toBe("respond");
  });

  it("a pools rule replaces the pools and keeps the rest of the load balancer", () => {
    const base = lb(RULES, { steering: "hash", countryPools: { DE: ["stable"] } });
    const match = matchRule(compileRules(base), request("/", { headers: { "x-beta": "1" } }));
    if (match?.rule.action.kind !== "pools") throw new Error("expected a pools action");
    expect(match.rule.action.loadBalancer.pools).toEqual(["beta"]);
    expect(match.rule.action.loadBalancer.steering).toBe("hash");
    expect(match.rule.action.loadBalancer.countryPools).toEqual({});
    // Compiled once per load balancer object: the same objects every time.
    expect(compileRules(base)).toBe(compileRules(base));
  });

  it("the trace names the matching rule and why each earlier one did not match", () => {
    const trace = traceRules(rules, request("/api/v2/x?preview=on", { headers: { cookie: "tier=iron" } }));
    expect(trace).toEqual([
      { rule: "maintenance", matched: false, reason: "header.x-maintenance: absent" },
      { rule: "beta", matched: false, reason: "header.x-beta: absent" },
      { rule: "api-v2", matched: false, reason: 'cookie.tier: "iron" does not match' },
      { rule: "preview", matched: true, reason: "all of query.preview hold" },
    ]);
    expect(traceRules(rules, request("/", { method: "PUT", headers: { "x-beta": "1" } }))[1]).toEqual({
      rule: "beta",
      matched: false,
      reason: "method: PUT is not one of GET, HEAD",
    });
  });

  it("redirects keep path and query when asked", () => {
    const url = new URL("https://old.test/shop/item?id=1&x=2");
    expect(redirectLocation({ location: "https://new.test/", status: 301, keepPath: true }, url)).toBe(
      "https://new.test/shop/item?id=1&x=2",
    );
    expect(redirectLocation({ location: "https://new.test", status: 301, keepPath: false }, url)).toBe(
      "https://new.test",
    );
  });
});
