/**
 * Cloudflare load balancing rules as Edge LB rules: the conditions and actions both can express,
 * and a note for every rule (or part of one) that does not carry over.
 */
import { describe, expect, it } from "vitest";
import { REGION_CONTINENTS } from "../../../../scripts/cli/cloudflare/load-balancers.ts";
import { conditionOf } from "../../../../scripts/cli/cloudflare/rules.ts";
import { importCloudflare } from "../../../../scripts/cli/import-cloudflare.ts";
import { type CloudflareObject, REFERENCE_EXAMPLES } from "../../../helpers/cloudflare-documents.ts";
import { loadBalancerOf } from "./notes.ts";

const AT = "load_balancers[www.example.com]";
const when = (condition: string) => conditionOf(condition, REGION_CONTINENTS).when;

/** The load balancer's converted rules and the notes about its rules. */
function rulesOf(rules: CloudflareObject[]) {
  const { document, lb } = loadBalancerOf({ rules });
  const notes = importCloudflare(document)
    .report.filter((note) => note.at.startsWith(`${AT}.rules`))
    .map((note) => `${note.kind} ${note.at.slice(AT.length + 1)}: ${note.message}`);
  return { rules: lb?.rules, notes };
}

describe("rule conditions", () => {
  it("path comparisons become one path regex", () => {
    expect(when('http.request.uri.path contains "/api/v2"')).toEqual({ path: { regex: "\\/api\\/v2" } });
    expect(when('http.request.uri.path eq "/a.b"')).toEqual({ path: { regex: "^\\/a\\.b$" } });
    expect(when('starts_with(http.request.uri.path, "/shop")')).toEqual({ path: { regex: "^\\/shop" } });
    expect(when('ends_with(http.request.uri.path, ".png")')).toEqual({ path: { regex: "\\.png$" } });
    expect(when('http.request.uri.path in {"/a" "/b"}')).toEqual({ path: { regex: "^(?:\\/a|\\/b)$" } });
    expect(when('http.request.uri.path matches "^/v[0-9]+/"')).toEqual({ path: { regex: "^/v[0-9]+/" } });
  });

  it("and-ed comparisons of method, headers, query arguments and region combine; true and '' match all", () => {
    expect(
      when(
        '(http.request.method in {"GET" "HEAD"}) and any(http.request.headers["X-Beta"][*] == "1") && ' +
          'http.request.uri.args["preview"][0] eq "on" and cf.load_balancer.region == "WEU"',
      ),
    ).toEqual({ method: ["GET", "HEAD"], "header.x-beta": "1", "query.preview": "on", continent: ["EU"] });
    expect(when("true")).toEqual({});
    expect(when("")).toEqual({});
  });

  it.each([
    ['http.request.uri.path contains "/a" or http.request.method eq "POST"', /"and" only, not "or"/],
    ['not http.request.uri.path contains "/a"', /"not" is not a field/],
    ["ip.src in {10.0.0.0/8}", /"ip.src" is not a field/],
    ['http.cookie contains "beta=1"', /"http.cookie" is not a field/],
    ['http.request.uri.path ne "/a"', /operator "ne"/],
    ['http.request.uri.path contains "/a" and http.request.uri.path contains "/b"', /matches path once/],
    ['http.request.uri.path contains "/a', /cannot read the expression/],
  ])("%s is not converted", (condition, reason) => {
    expect(() => when(condition)).toThrow(reason);
  });
});

describe("rules", () => {
  it("overriding default_pools chooses those pools; other overrides are noted", () => {
    const result = rulesOf([
      {
        name: "API v2 to pool 2",
        condition: 'http.request.uri.path contains "/api/v2"',
        overrides: { default_pools: ["p2", "p3"], session_affinity: "none", steering_policy: "random" },
        priority: 0,
        terminates: true,
      },
    ]);
    expect(result.rules).toEqual([
      {
        name: "api-v2-to-pool-2",
        when: { path: { regex: "\\/api\\/v2" } },
        then: { pools: ["pool-p2", "pool-p3"] },
      },
    ]);
    expect(result.notes).toEqual([
      "dropped rules[API v2 to pool 2].overrides: an Edge LB rule chooses pools only: session_affinity, steering_policy not applied",
    ]);
  });

  it("a fixed response answers directly; a 3xx with a location redirects", () => {
    const result = rulesOf([
      {
        name: "moved",
        condition: 'http.request.uri.path eq "/old"',
        fixed_response: { status_code: 301, location: "www.example.net/new" },
      },
      {
        name: "maintenance",
        condition: "true",
        fixed_response: { status_code: 503, message_body: "Back soon", content_type: "text/plain" },
      },
    ]);
    expect(result.rules).toEqual([
      {
        name: "moved",
        when: { path: { regex: "^\\/old$" } },
        then: { redirect: { location: "https://www.example.net/new", status: 301 } },
      },
      {
        name: "maintenance",
        when: {},
        then: { respond: { status: 503, body: "Back soon", contentType: "text/plain" } },
      },
    ]);
    expect(result.notes).toEqual([
      'assumed rules[moved].fixed_response.location: "www.example.net/new" as https://www.example.net/new',
    ]);
  });

  it("follow Cloudflare's priority; disabled ones, and those Edge LB cannot express, are left out with the reason", () => {
    const result = rulesOf([
      {
        name: "second",
        condition: "true",
        overrides: { default_pools: ["p2"] },
        priority: 20,
        terminates: false,
      },
      {
        name: "first",
        condition: 'cf.load_balancer.region == "SAF"',
        overrides: { default_pools: ["p1"] },
        priority: 10,
      },
      { name: "off", condition: "true", overrides: { default_pools: ["p1"] }, disabled: true },
      {
        name: "by ip",
        condition: "ip.src in {192.0.2.0/24}",
        overrides: { default_pools: ["p1"] },
        priority: 5,
      },
      { name: "gone", condition: "true", overrides: { default_pools: ["nope"] }, priority: 30 },
    ]);
    expect(result.rules?.map((rule) => [rule.name, rule.when, rule.then])).toEqual([
      ["first", { continent: ["AF"] }, { pools: ["pool-p1"] }],
      ["second", {}, { pools: ["pool-p2"] }],
    ]);
    // "off" names no priority: its place in the list (2) stands in for one.
    expect(result.notes).toEqual([
      "dropped rules[off]: a disabled rule",
      'dropped rules[by ip]: "ip.src" is not a field Edge LB rules can match: "ip.src in {192.0.2.0/24}"',
      "changed rules[first]: Edge LB matches the client's continent: SAF → AF",
      "changed rules[second]: Edge LB rules always decide: later rules are not applied on top of this one",
      'dropped rules[gone]: names pools that were not converted: "true"',
    ]);
  });

  it("the API reference's example rule, enabled, is left out: its fixed response has status 0", () => {
    const [example] = REFERENCE_EXAMPLES.load_balancers[0]!.rules;
    const result = rulesOf([{ ...example, disabled: false }]);
    expect(result.rules).toBeUndefined();
    expect(result.notes).toEqual([
      "dropped rules[route the path /testing to testing datacenter.].overrides: a fixed response wins",
      'dropped rules[route the path /testing to testing datacenter.]: status 0 is not one Edge LB answers with: "http.request.uri.path contains \\"/testing\\""',
    ]);
  });
});
