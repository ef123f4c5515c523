import { describe, expect, it } from "vitest";
import { parseConfigDocument } from "../../../worker/config/document.ts";
import { loadBalancersUsingPool, missingPoolErrors } from "../../../worker/config/references.ts";
import { regexProblem } from "../../../worker/config/regex-check.ts";
import { parseResource } from "../../../worker/config/resources.ts";

const BASE = { id: "web", hostname: "web.test", pools: ["stable"] };

function errorsOf(input: Record<string, unknown>): string[] {
  const parsed = parseResource("load_balancer", { ...BASE, ...input });
  return parsed.ok ? [] : parsed.errors.map((error) => `${error.path}: ${error.message}`);
}

describe("traffic fields of a load balancer", () => {
  it("default as API.md says", () => {
    const parsed = parseResource("load_balancer", BASE);
    if (!parsed.ok) throw new Error("invalid");
    expect(parsed.value).toMatchObject({
      steering: "failover",
      splitOn: "ip",
      poolOverrideHeader: null,
      rules: [],
      mirror: null,
    });
  });

  it("accept the documented example", () => {
    expect(
      errorsOf({
        steering: "hash",
        splitOn: "cookie:uid",
        poolWeights: { stable: 95 },
        rules: [
          {
            name: "beta-testers",
            when: {
              path: { regex: "^/api/v2/" },
              method: ["GET", "HEAD"],
              "header.x-beta": "1",
              "cookie.tier": { present: true },
              "query.preview": "on",
              country: ["DE", "FR"],
              continent: ["EU"],
            },
            then: { pools: ["web-beta"] },
          },
          {
            name: "down",
            then: {
              respond: { status: 503, body: "<h1>Back soon</h1>", contentType: "text/html", headers: {} },
            },
          },
          {
            name: "moved",
            then: { redirect: { location: "https://new.example.com", status: 301, keepPath: true } },
          },
        ],
        mirror: { pool: "shadow", percent: 10, methods: ["GET", "HEAD"], maxBodyBytes: 65536 },
      }),
    ).toEqual([]);
  });

  it("refuse bad rules with a field path", () => {
    expect(errorsOf({ rules: [{ name: "a", then: {} }] })[0]).toMatch(
      /^rules\[0\]\.then: must name exactly one action/,
    );
    expect(errorsOf({ rules: [{ name: "a", then: { pools: ["x"], respond: {} } }] })[0]).toMatch(
      /exactly one/,
    );
    expect(errorsOf({ rules: [{ name: "A b", then: { pools: ["x"] } }] })[0]).toMatch(/^rules\[0\]\.name/);
    expect(
      errorsOf({
        rules: [
          { name: "a", then: { pools: ["x"] } },
          { name: "a", then: { pools: ["y"] } },
        ],
      })[0],
    ).toMatch(/^rules\[1\]\.name: duplicate rule name "a"/);
    expect(errorsOf({ rules: [{ name: "a", when: { "header.": "1" }, then: { pools: ["x"] } }] })[0]).toMatch(
      /unknown condition/,
    );
    expect(errorsOf({ rules: [{ name: "a", when: { hdr: "1" }, then: { pools: ["x"] } }] })[0]).toMatch(
      /unknown condition/,
    );
    expect(
      errorsOf({ rules: [{ name: "a", when: { path: { regex: "(" } }, then: { pools: ["x"] } }] })[0],
    ).toMatch(/^rules\[0\]\.when\.path\.regex: is not a valid regular expression/);
    expect(
      errorsOf({
        rules: [{ name: "a", when: { path: { regex: `^/${"a".repeat(600)}` } }, then: { pools: ["x"] } }],
      }),
    ).toHaveLength(1);
    expect(
      errorsOf({
        rules: [{ name: "a", when: { "header.x": { regex: "(a+)+$" } }, then: { pools: ["x"] } }],
      })[0],
    ).toMatch(/nested quantifiers/);
    expect(
      errorsOf({ rules: Array.from({ length: 101 }, (_, i) => ({ name: `r${i}`, then: { pools: ["x"] } })) }),
    ).toHaveLength(1);
    expect(
      errorsOf({ rules: [{ name: "a", then: { redirect: { location: "ftp://x", status: 301 } } }] }),
    ).toHaveLength(1);
    expect(
      errorsOf({ rules: [{ name: "a", then: { redirect: { location: "/x", status: 303 } } }] }),
    ).toHaveLength(1);
  });

  it("refuse bad split keys, override headers and mirrors", () => {
    expect(errorsOf({ splitOn: "path" })).toHaveLength(1);
    expect(errorsOf({ poolOverrideHeader: "bad header" })).toHaveLength(1);
    expect(errorsOf({ mirror: { pool: "shadow", percent: 101 } })).toHaveLength(1);
    expect(errorsOf({ mirror: { percent: 10 } })).toHaveLength(1);
  });

  it("rule pools and the mirror pool are references", () => {
    const lb = { ...BASE, fallbackPool: null, regionPools: {}, countryPools: {}, rules: [], mirror: null };
    const withRefs = {
      ...lb,
      rules: [{ name: "b", when: {}, then: { pools: ["beta"] } }],
      mirror: { pool: "shadow", percent: 100, methods: ["GET"], maxBodyBytes: 0 },
    };
    expect(missingPoolErrors(withRefs, (id) => id === "stable")).toEqual([
      { path: "rules[0].then.pools[0]", message: 'no pool "beta" exists' },
      { path: "mirror.pool", message: 'no pool "shadow" exists' },
    ]);
    expect(loadBalancersUsingPool("shadow", [withRefs])).toEqual(["web"]);
    const doc = parseConfigDocument({
      pools: [{ id: "stable", origins: [{ name: "a", address: "http://127.0.0.1:1" }] }],
      loadBalancers: [withRefs],
    });
    expect(doc.ok).toBe(false);
  });
});

describe("regex check", () => {
  it("accepts ordinary patterns and refuses risky ones", () => {
    for (const ok of [
      "^/api/v[0-9]+/",
      "^/(a|b)/x?$",
      "(?:ab)+",
      "(a?)+",
      "[(+]+",
      "\\(a+\\)+",
      "^(?<v>\\d{1,3})$",
    ]) {
      expect(regexProblem(ok), ok).toBeNull();
    }
    for (const bad of ["(a+)+", "(\\w*x)*y", "((ab)*)+", "(a{2,})*", "(a)\\1", "(?<x>a)\\k<x>"]) {
      expect(regexProblem(bad), bad).not.toBeNull();
    }
  });
});

describe("junk at every traffic field", () => {
  const FULL = {
    ...BASE,
    steering: "hash",
    splitOn: "header:x-user",
    poolOverrideHeader: "x-pool",
    rules: [
      {
        name: "r",
        when: {
          path: { regex: "^/a" },
          method: ["GET"],
          "header.x-a": "1",
          "cookie.c": { present: true },
          "query.q": { regex: "x" },
          country: ["DE"],
          continent: ["EU"],
        },
        then: { pools: ["stable"] },
      },
      {
        name: "s",
        then: { respond: { status: 503, body: "b", contentType: "text/plain", headers: { "x-b": "1" } } },
      },
      { name: "t", then: { redirect: { location: "https://x.test/", status: 301, keepPath: true } } },
    ],
    mirror: { pool: "stable", percent: 10, methods: ["GET"], maxBodyBytes: 10 },
  };
  const JUNK: unknown[] = [null, true, "", "(", "\u0000", -1, 1.5, 1e308, [], [null], {}, { regex: "(a+)+" }];

  function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
    const found = prefix.length > 0 ? [prefix] : [];
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) found.push(...paths(item, [...prefix, i]));
    } else if (value !== null && typeof value === "object")
      for (const [key, item] of Object.entries(value)) found.push(...paths(item, [...prefix, key]));
    return found;
  }

  it("is refused with field errors or accepted, never thrown", () => {
    expect(parseResource("load_balancer", FULL).ok).toBe(true);
    let refused = 0;
    for (const path of paths(FULL)) {
      for (const junk of JUNK) {
        const copy = structuredClone(FULL) as Record<string | number, unknown>;
        let target = copy;
        for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
        target[path[path.length - 1]!] = junk;
        const parsed = parseResource("load_balancer", copy);
        if (!parsed.ok) {
          refused++;
          expect(parsed.errors.length).toBeGreaterThan(0);
        }
      }
    }
    expect(refused).toBeGreaterThan(100);
  });
});
