/**
 * Traffic management through the real runtime and real origins: rules (a header sends to the canary
 * pool, a maintenance page with no origin up, a redirect that keeps path and query), the sticky
 * hash split between a stable and a canary pool, the pool override header, and /explain naming the
 * rule that matched; the CLI exports and applies the new fields.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createLoadBalancer, createPool, expectStatus, poolOf } from "../helpers/admin-client.ts";
import { send } from "../helpers/http.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import type { OriginEcho } from "../helpers/origins.ts";
import { parseExposition, sampleValue } from "../helpers/prometheus.ts";
import { REPO_ROOT } from "../helpers/runtime.ts";
import { waitFor } from "../helpers/wait.ts";

let lb: TestLoadBalancer;

const RULES_HOST = "rules.test";
const DOWN_HOST = "down.test";
const SPLIT_HOST = "split.test";
const USERS = Array.from({ length: 2000 }, (_, i) => `user-${i}`);
/** Requests in flight at once while walking through the users. */
const CONCURRENCY = 8;

beforeAll(async () => {
  lb = await startLoadBalancer({ origins: ["stable", "canary"] });
  await createPool(lb.api, poolOf("stable", [lb.origin("stable")]));
  await createPool(lb.api, poolOf("canary", [lb.origin("canary")]));
  // An origin nobody listens on: a port that was free a moment ago.
  await createPool(lb.api, {
    id: "gone",
    origins: [{ name: "gone", address: "http://127.0.0.1:9" }],
    healthCheck: null,
  });
  await createLoadBalancer(lb.api, {
    id: "rules",
    hostname: RULES_HOST,
    pools: ["stable"],
    rules: [
      { name: "beta", when: { "header.x-beta": "1" }, then: { pools: ["canary"] } },
      {
        name: "moved",
        when: { path: { regex: "^/old/" }, method: ["GET", "HEAD"] },
        then: { redirect: { location: "https://new.example.com/", status: 308, keepPath: true } },
      },
    ],
  });
  await createLoadBalancer(lb.api, {
    id: "down",
    hostname: DOWN_HOST,
    pools: ["gone"],
    rules: [
      {
        name: "maintenance",
        then: {
          respond: {
            status: 503,
            body: "<h1>Back soon</h1>",
            contentType: "text/html; charset=utf-8",
            headers: { "retry-after": "120" },
          },
        },
      },
    ],
  });
  await createLoadBalancer(lb.api, {
    id: "split",
    hostname: SPLIT_HOST,
    pools: ["stable", "canary"],
    steering: "hash",
    splitOn: "header:x-user",
    poolWeights: { stable: 95, canary: 5 },
    poolOverrideHeader: "x-pool",
  });
});

afterAll(async () => {
  await lb?.stop();
});

async function originFor(host: string, headers: Record<string, string> = {}, path = "/"): Promise<string> {
  const res = await send(lb.url, { host, path, headers });
  if (res.status !== 200) throw new Error(`expected 200, got ${res.status}: ${res.text().slice(0, 300)}`);
  return res.json<OriginEcho>().origin;
}

/** Which pool (origin) each user reaches, CONCURRENCY requests at a time. */
async function poolsOfUsers(): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  let next = 0;
  async function worker(): Promise<void> {
    while (next < USERS.length) {
      const user = USERS[next++]!;
      result.set(user, await originFor(SPLIT_HOST, { "x-user": user }));
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return result;
}

function count(map: Map<string, string>, pool: string): number {
  let n = 0;
  for (const value of map.values()) if (value === pool) n++;
  return n;
}

describe("rules", () => {
  it("a header rule sends to the canary pool; other requests stay on the load balancer's pools", async () => {
    for (let i = 0; i < 5; i++) {
      expect(await originFor(RULES_HOST, { "x-beta": "1" })).toBe("canary");
      expect(await originFor(RULES_HOST, { "x-beta": "0" })).toBe("stable");
      expect(await originFor(RULES_HOST)).toBe("stable");
    }
  });

  it("a redirect rule keeps path and query; its method condition holds it to GET and HEAD", async () => {
    const canaryBefore = lb.origin("canary").count();
    const stableBefore = lb.origin("stable").count();
    const res = await send(lb.url, { host: RULES_HOST, path: "/old/shop?id=7&x=%20y" });
    expect(res.status).toBe(308);
    expect(res.header("location")).toBe("https://new.example.com/old/shop?id=7&x=%20y");
    expect(res.header("x-request-id")).toBeTruthy();
    expect(lb.origin("stable").count()).toBe(stableBefore);
    expect(lb.origin("canary").count()).toBe(canaryBefore);
    // A POST does not match the rule and reaches the origin.
    const post = await send(lb.url, { host: RULES_HOST, path: "/old/shop", method: "POST", body: "x" });
    expect(post.status).toBe(200);
    expect(post.json<OriginEcho>().origin).toBe("stable");
  });

  it("a respond rule serves a maintenance page while no origin is up", async () => {
    const res = await send(lb.url, { host: DOWN_HOST, path: "/anything?x=1" });
    expect(res.status).toBe(503);
    expect(res.text()).toBe("<h1>Back soon</h1>");
    expect(res.header("content-type")).toBe("text/html; charset=utf-8");
    expect(res.header("retry-after")).toBe("120");
    const head = await send(lb.url, { host: DOWN_HOST, method: "HEAD" });
    expect(head.status).toBe(503);
    expect(head.body.length).toBe(0);
    // Both answers are counted under the rule (carried by the load balancer's first pool, "gone").
    const maintenance = {
      load_balancer: "down",
      rule: "maintenance",
      action: "respond",
      status_class: "5xx",
    };
    const counted = await waitFor(
      async () => {
        const res = await send(lb.url, {
          path: "/__lb/metrics",
          headers: { authorization: `Bearer ${lb.readToken}` },
        });
        const value = sampleValue(parseExposition(res.text()), "edge_lb_rule_responses_total", maintenance);
        return value === 2 && value;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: "the maintenance answers in /__lb/metrics" },
    );
    expect(counted).toBe(2);
  });

  it("/explain names the rule that matched and why the earlier ones did not", async () => {
    const query = new URLSearchParams({ url: `https://${RULES_HOST}/old/a?b=1` });
    const explained = expectStatus(
      await lb.api.get<{
        outcome: string;
        rules: { rule: string; matched: boolean; reason: string }[];
        rule: { name: string; action: string; location?: string };
        wouldRespond: { status: number; headers: Record<string, string> };
      }>(`/explain?${query}`),
      200,
    ).body;
    expect(explained.outcome).toBe("rule");
    expect(explained.rules).toEqual([
      { rule: "beta", matched: false, reason: "header.x-beta: absent" },
      { rule: "moved", matched: true, reason: "all of method, path hold" },
    ]);
    expect(explained.rule).toMatchObject({ name: "moved", action: "redirect" });
    expect(explained.wouldRespond.headers.location).toBe("https://new.example.com/old/a?b=1");
    const beta = new URLSearchParams({ url: `https://${RULES_HOST}/x`, "header.x-beta": "1" });
    const routed = expectStatus(
      await lb.api.get<{ outcome: string; pool: { id: string } }>(`/explain?${beta}`),
      200,
    ).body;
    expect(routed).toMatchObject({ outcome: "proxied", pool: { id: "canary" } });
  });

  it("a pool a rule names cannot be deleted", async () => {
    const res = await lb.api.delete("/pools/canary");
    expect(res.status).toBe(409);
  });
});

describe("sticky canary split", () => {
  let first: Map<string, string>;

  it("sends 5 +/- 2 % of 2,000 users to the canary and each user's repeat requests to the same pool", async ({
    annotate,
  }) => {
    first = await poolsOfUsers();
    const canary = count(first, "canary");
    await annotate(`5/95 split: ${canary} of ${USERS.length} users on the canary`);
    expect(canary).toBeGreaterThanOrEqual(60);
    expect(canary).toBeLessThanOrEqual(140);
    const again = await poolsOfUsers();
    expect(again).toEqual(first);
    // The API says the same split the edge made.
    const status = expectStatus(
      await lb.api.get<{ items: { id: string; split: { pool: string; percent: number }[] | null }[] }>(
        "/status",
      ),
      200,
    ).body;
    expect(status.items.find((item) => item.id === "split")?.split).toEqual([
      { pool: "stable", percent: 95 },
      { pool: "canary", percent: 5 },
    ]);
  }, 300_000);

  it("the override header sends a request to the pool it names", async () => {
    const stableUser = USERS.find((user) => first.get(user) === "stable")!;
    expect(await originFor(SPLIT_HOST, { "x-user": stableUser, "x-pool": "canary" })).toBe("canary");
    expect(await originFor(SPLIT_HOST, { "x-user": stableUser, "x-pool": "nope" })).toBe("stable");
  });

  it("raising the canary to 20 % moves users only into the canary", async ({ annotate }) => {
    const patched = expectStatus(
      await lb.api.patch<{ version: number }>("/load_balancers/split", {
        poolWeights: { stable: 80, canary: 20 },
      }),
      200,
    );
    expect(patched.status).toBe(200);
    const { version } = expectStatus(await lb.api.get<{ version: number }>("/config"), 200).body;
    // The edge picks the change up within its refresh interval; /explain reads the same cache.
    await waitFor(
      async () => {
        const query = new URLSearchParams({ url: `https://${SPLIT_HOST}/` });
        const res = await lb.api.get<{ configVersion: number }>(`/explain?${query}`);
        return res.status === 200 && res.body.configVersion >= version;
      },
      { what: "the raised canary weight reaching the edge" },
    );
    const after = await poolsOfUsers();
    let intoCanary = 0;
    for (const user of USERS) {
      if (first.get(user) === "canary") expect(after.get(user)).toBe("canary");
      else if (after.get(user) === "canary") intoCanary++;
    }
    const canary = count(after, "canary");
    await annotate(`5 % -> 20 %: ${intoCanary} users moved into the canary, none out; ${canary} on it now`);
    // 20 % of 2,000 is 400; the binomial standard deviation is about 18.
    expect(canary).toBeGreaterThanOrEqual(330);
    expect(canary).toBeLessThanOrEqual(470);
  }, 300_000);
});

/** Runs the CLI as a separate process against the runtime. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO_ROOT, "scripts", "cli.mjs"), ...args],
      {
        cwd: REPO_ROOT,
        timeout: 60_000,
        env: { ...process.env, EDGE_LB_ENDPOINT: lb.url, EDGE_LB_TOKEN: lb.adminToken, NO_COLOR: "1" },
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

describe("CLI export and apply", () => {
  it("exports rules, split and mirror settings, applies the export unchanged and shows a rule edit", async () => {
    const dir = await mkdtemp(join(tmpdir(), "edge-lb-traffic-"));
    try {
      const exported = await cli(["export"]);
      expect(exported.code).toBe(0);
      const document = parse(exported.stdout) as { loadBalancers: Array<Record<string, unknown>> };
      const rules = document.loadBalancers.find((item) => item.id === "rules");
      expect(rules?.rules).toEqual([
        { name: "beta", when: { "header.x-beta": "1" }, then: { pools: ["canary"] } },
        {
          name: "moved",
          when: { path: { regex: "^/old/" }, method: ["GET", "HEAD"] },
          then: { redirect: { location: "https://new.example.com/", status: 308, keepPath: true } },
        },
      ]);
      expect(document.loadBalancers.find((item) => item.id === "split")).toMatchObject({
        steering: "hash",
        splitOn: "header:x-user",
        poolOverrideHeader: "x-pool",
        mirror: null,
      });
      const file = join(dir, "export.yaml");
      await writeFile(file, exported.stdout);
      const again = await cli(["apply", file]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain("No changes");
      const rule = (rules!.rules as Array<{ when: Record<string, unknown> }>)[0]!;
      rule.when["header.x-beta"] = "2";
      const editedFile = join(dir, "edited.json");
      await writeFile(editedFile, JSON.stringify(document));
      const edited = await cli(["apply", "--dry-run", editedFile]);
      expect(edited.code).toBe(0);
      expect(edited.stdout).toContain("~ load balancer rules");
      expect(edited.stdout).toContain('rules[beta].when["header.x-beta"]: "1" -> "2"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
