/**
 * `edge-lb import --from cloudflare` end to end: a Cloudflare Load Balancing export, shaped like the
 * examples of Cloudflare's API reference, whose origins are real servers on loopback, is imported,
 * applied to a real `wrangler dev` with `edge-lb apply`, and serves: the request reaches the origin
 * the Cloudflare configuration says it should, its rules apply, the explain API agrees, and the second pool takes
 * over when the first one's origin goes away.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectStatus } from "../helpers/admin-client.ts";
import {
  cloudflareExport,
  cloudflareLoadBalancer,
  cloudflareMonitor,
  cloudflareOrigin,
  cloudflarePool,
} from "../helpers/cloudflare-documents.ts";
import { send } from "../helpers/http.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import { REPO_ROOT } from "../helpers/runtime.ts";
import { originSequence, throughLb } from "../helpers/through-lb.ts";

const CLI = join(REPO_ROOT, "scripts", "cli.mjs");
/** The parts of `GET /explain` these tests read. */
interface Explanation {
  outcome: string;
  rule: { name: string; action: string } | null;
  pool: { id: string } | null;
  origin: { name: string } | null;
  wouldRespond?: { status: number; body?: string };
}

const PROXY_APPLIES_RULES = readFileSync(join(REPO_ROOT, "worker", "proxy", "handler.ts"), "utf8").includes(
  "./traffic.ts",
);
const PRIMARY = "17b5962d775c646f3f9725cbc7a53df4";
const SECONDARY = "9290f38c5d07c2e2f4df57b1f61d4196";
const MONITOR = "f1aba936b94213e5b8dca0c0dbf1f9cc";

let lb: TestLoadBalancer;
let dir: string;

function cli(
  args: string[],
  token: string = lb.adminToken,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd: REPO_ROOT,
        timeout: 60_000,
        env: { ...process.env, EDGE_LB_ENDPOINT: lb.url, EDGE_LB_TOKEN: token, NO_COLOR: "1" },
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** Cloudflare's view of the setup: origin a (and a disabled b) first, c second; one HTTP monitor. */
function cloudflareDocument() {
  const origin = (name: string, fields: Record<string, unknown> = {}) =>
    cloudflareOrigin({ name, address: "127.0.0.1", port: lb.origin(name).port, ...fields });
  return cloudflareExport({
    monitors: [
      cloudflareMonitor({
        id: MONITOR,
        type: "http",
        description: "Loopback health",
        path: "/health",
        expected_codes: "200",
        interval: 10,
        timeout: 2,
      }),
    ],
    pools: [
      cloudflarePool({
        id: PRIMARY,
        name: "primary-dc-1",
        description: "Primary data center",
        monitor: MONITOR,
        origins: [origin("a"), origin("b", { enabled: false, disabled_at: "2026-01-06T10:00:00Z" })],
      }),
      cloudflarePool({ id: SECONDARY, name: "secondary-dc-1", monitor: MONITOR, origins: [origin("c")] }),
    ],
    load_balancers: [
      cloudflareLoadBalancer({
        id: "699d98642c564d2e855e9661899b7252",
        name: "www.cf-import.test",
        default_pools: [PRIMARY, SECONDARY],
        fallback_pool: SECONDARY,
        steering_policy: "off",
        session_affinity: "cookie",
        session_affinity_ttl: 1800,
        pop_pools: { LAX: [SECONDARY] },
        rules: [
          {
            name: "Reports from the secondary data center",
            condition: 'starts_with(http.request.uri.path, "/reports/")',
            overrides: { default_pools: [SECONDARY] },
            priority: 10,
            terminates: true,
          },
          {
            name: "Maintenance",
            condition: 'http.request.uri.path eq "/maintenance"',
            fixed_response: { content_type: "text/plain", message_body: "Back soon", status_code: 503 },
            priority: 20,
            terminates: true,
          },
        ],
      }),
      cloudflareLoadBalancer({
        id: "5a7805061c76ada191ed06f989cc3dac",
        name: "geo.cf-import.test",
        default_pools: [PRIMARY, SECONDARY],
        steering_policy: "geo",
        country_pools: { DE: [SECONDARY] },
      }),
    ],
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edge-lb-import-"));
  lb = await startLoadBalancer({ origins: ["a", "b", "c"] });
});

afterAll(async () => {
  await lb?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("a Cloudflare Load Balancing export, imported and applied", () => {
  it("imports with a report on standard error, applies, and serves from the origin Cloudflare would use", async () => {
    const source = join(dir, "cloudflare.json");
    await writeFile(source, JSON.stringify(cloudflareDocument(), null, 2));
    const imported = await cli(["import", "--from", "cloudflare", source]);
    expect(imported.code).toBe(0);
    expect(imported.stderr).toMatch(
      /^Imported 2 pools \(1 monitor as health checks\) and 2 load balancers from /,
    );
    expect(imported.stderr).toContain(
      "load_balancers[www.cf-import.test].pop_pools: Edge LB steers by country and continent",
    );
    expect(imported.stderr).toContain("pools[primary-dc-1].origins: a, b are addressed by IP");

    const file = join(dir, "imported.yaml");
    await writeFile(file, imported.stdout);
    const applied = await cli(["apply", file]);
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("+ pool primary-dc-1");
    expect(applied.stdout).toContain("+ pool secondary-dc-1");
    expect(applied.stdout).toContain("+ load balancer www-cf-import-test");
    expect(applied.stdout).toContain("Plan: 4 to create, 0 to change, 0 to delete.");

    // Origin b is disabled in Cloudflare and c is in the second pool: every request goes to a.
    expect(await originSequence(lb.url, "www.cf-import.test", 6)).toEqual(["a", "a", "a", "a", "a", "a"]);
    const { res } = await throughLb(lb.url, "www.cf-import.test", { path: "/account" });
    expect(res.header("set-cookie")).toMatch(/^__lb=[^;]+; Max-Age=1800; /);
    const served = lb.origins.map(
      (origin) => origin.requests.filter((r) => !r.path.startsWith("/health")).length,
    );
    expect(served).toEqual([7, 0, 0]);
  });

  it("its rules, through the explain API: a path goes to the second pool, another is answered directly", async () => {
    const explain = async (path: string) =>
      expectStatus(
        await lb.api.get<Explanation>(
          `/explain?url=${encodeURIComponent(`http://www.cf-import.test${path}`)}`,
        ),
        200,
      ).body;
    const reports = await explain("/reports/2026");
    expect(reports.rule).toMatchObject({ name: "reports-from-the-secondary-data-center", action: "pools" });
    expect(reports.pool?.id).toBe("secondary-dc-1");
    expect(reports.origin?.name).toBe("c");
    const maintenance = await explain("/maintenance");
    expect(maintenance).toMatchObject({ outcome: "rule", wouldRespond: { status: 503, body: "Back soon" } });
    expect((await explain("/other")).rule).toBeNull();
  });

  // The proxy applies rules once worker/proxy/handler.ts runs the traffic phase (proxy/traffic.ts).
  it.skipIf(!PROXY_APPLIES_RULES)("its rules, through the proxy: the same answers", async () => {
    const { echo } = await throughLb(lb.url, "www.cf-import.test", { path: "/reports/2026" });
    expect(echo.origin).toBe("c");
    const maintenance = await send(lb.url, { host: "www.cf-import.test", path: "/maintenance" });
    expect(maintenance.status).toBe(503);
    expect(maintenance.text()).toBe("Back soon");
  });

  it("the explain API agrees: www by pool order, geo by the client's country", async () => {
    const www = await cli(["explain", "http://www.cf-import.test/"], lb.readToken);
    expect(www.code).toBe(0);
    expect(www.stdout).toMatch(/Pool:\s+primary-dc-1\b/);
    expect(www.stdout).toMatch(/Origin:\s+a\b/);
    const germany = await cli(["explain", "http://geo.cf-import.test/", "--country", "DE"], lb.readToken);
    expect(germany.stdout).toMatch(/Pool:\s+secondary-dc-1\b/);
    const elsewhere = await cli(["explain", "http://geo.cf-import.test/", "--country", "FR"], lb.readToken);
    expect(elsewhere.stdout).toMatch(/Pool:\s+primary-dc-1\b/);
  });

  it("when the first pool's origin goes away, the second pool answers", async () => {
    await lb.origin("a").stop();
    const { echo } = await throughLb(lb.url, "www.cf-import.test", { path: "/after" });
    expect(echo.origin).toBe("c");
    expect(lb.origin("b").requests.filter((r) => !r.path.startsWith("/health"))).toEqual([]);
  });
});
