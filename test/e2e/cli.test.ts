/**
 * The `edge-lb` CLI against the real local runtime: apply, export, dry runs, refusals, status,
 * drain and explain, as an operator runs them.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { expectStatus } from "../helpers/admin-client.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import type { TestOrigin } from "../helpers/origins.ts";
import { freePort, REPO_ROOT } from "../helpers/runtime.ts";

const CLI = join(REPO_ROOT, "scripts", "cli.mjs");

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let lb: TestLoadBalancer;
let dir: string;

/** Runs the CLI as a separate process with the endpoint and token in its environment. */
function cli(args: string[], token: string = lb.adminToken, endpoint: string = lb.url): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd: REPO_ROOT,
        timeout: 60_000,
        env: { ...process.env, EDGE_LB_ENDPOINT: endpoint, EDGE_LB_TOKEN: token, NO_COLOR: "1" },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function file(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

async function currentConfig(): Promise<{ version: number; pools: Array<Record<string, unknown>> }> {
  return expectStatus(
    await lb.api.get<{ version: number; pools: Array<Record<string, unknown>> }>("/config"),
    200,
  ).body;
}

function desiredConfig(weightOfA = 1) {
  const [a, b] = lb.origins;
  return {
    pools: [
      {
        id: "web",
        description: "two origins on loopback",
        origins: [
          { name: "a", address: a!.url, weight: weightOfA },
          { name: "b", address: b!.url },
        ],
      },
    ],
    loadBalancers: [{ id: "www", hostname: "www.cli.test", pools: ["web"] }],
  };
}

const YAML_CONFIG = (a: TestOrigin, b: TestOrigin) => `# the first load balancer
pools:
  - id: web
    description: two origins on loopback
    origins:
      - name: a
        address: ${a.url}
      - name: b
        address: ${b.url}
loadBalancers:
  - id: www
    hostname: www.cli.test
    pools: [web]
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edge-lb-cli-"));
  lb = await startLoadBalancer({ origins: ["a", "b"] });
});

afterAll(async () => {
  await lb?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("edge-lb apply and export", () => {
  it("applies a YAML file, exports it back, and the export applies with no changes", async () => {
    const applied = await cli(["apply", await file("lb.yaml", YAML_CONFIG(lb.origins[0]!, lb.origins[1]!))]);
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("+ pool web");
    expect(applied.stdout).toContain("+ load balancer www");
    expect(applied.stdout).toContain("Plan: 2 to create, 0 to change, 0 to delete.");
    expect(applied.stdout).toMatch(/Applied/);

    const exported = await cli(["export"]);
    expect(exported.code).toBe(0);
    const document = parse(exported.stdout) as Record<string, unknown>;
    expect(document).not.toHaveProperty("version");
    const server = await currentConfig();
    const { version: _version, ...withoutVersion } = server;
    const stripped = {
      ...withoutVersion,
      pools: server.pools.map(({ version: _v, ...rest }) => rest),
      loadBalancers: (
        server as unknown as { loadBalancers: Array<Record<string, unknown>> }
      ).loadBalancers.map(({ version: _v, ...rest }) => rest),
    };
    expect(document).toEqual(stripped);
    expect(document).toMatchObject({
      pools: [{ id: "web", origins: [{ name: "a", address: lb.origins[0]!.url }, { name: "b" }] }],
      loadBalancers: [{ id: "www", hostname: "www.cli.test", pools: ["web"] }],
    });

    const before = server.version;
    const again = await cli(["apply", await file("export.yaml", exported.stdout)]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("No changes");
    expect((await currentConfig()).version).toBe(before);

    const json = await cli(["export", "--format", "json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(document);
    const fromJson = await cli(["apply", await file("export.json", json.stdout)]);
    expect(fromJson.stdout).toContain("No changes");
  });

  it("--dry-run shows the changed fields and changes nothing", async () => {
    const before = await currentConfig();
    const result = await cli(["apply", "--dry-run", await file("weights.json", desiredConfig(3))]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("~ pool web");
    expect(result.stdout).toContain("origins[a].weight: 1 -> 3");
    expect(result.stdout).toContain("Dry run: nothing was changed.");
    const after = await currentConfig();
    expect(after.version).toBe(before.version);
    expect(after.pools).toEqual(before.pools);
  });

  it("refuses an invalid file with the server's field errors and changes nothing", async () => {
    const before = await currentConfig();
    const invalid = desiredConfig(5000);
    invalid.loadBalancers[0]!.pools = ["missing"];
    const result = await cli(["apply", await file("invalid.json", invalid)]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^Error: 400/);
    expect(result.stderr).toMatch(/pools\[0\]\.origins\[0\]\.weight: .+/);
    expect((await currentConfig()).version).toBe(before.version);
  });

  it("refuses a file that is not YAML before sending anything", async () => {
    const result = await cli(["apply", await file("broken.yaml", "pools: [\n  - id: web\n")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/broken\.yaml is not valid YAML/);
  });

  it("applies a change and reports it, and a read token may not apply", async () => {
    const readOnly = await cli(["apply", await file("weights.json", desiredConfig(2))], lb.readToken);
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr).toMatch(/^Error: 403/);
    expect(readOnly.stderr).toMatch(/ADMIN_TOKEN/);

    const before = await currentConfig();
    const result = await cli(["apply", await file("weights.json", desiredConfig(2))]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("origins[a].weight: 1 -> 2");
    const after = await currentConfig();
    expect(after.version).toBeGreaterThan(before.version);
    expect(after.pools[0]).toMatchObject({
      origins: [
        { name: "a", weight: 2 },
        { name: "b", weight: 1 },
      ],
    });
  });
});

describe("edge-lb status, drain and explain", () => {
  it("status prints the load balancers and every origin of every pool", async () => {
    const result = await cli(["status"], lb.readToken);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toBe("LOAD BALANCERS");
    expect(lines[1]).toMatch(/^ {2}ID\s+HOST\s+SERVING\s+WHY$/);
    expect(lines.find((line) => line.startsWith("  www "))).toMatch(/www\.cli\.test\s+web\s+\S/);
    expect(result.stdout).toMatch(/\n {2}web: healthy/);
    expect(result.stdout).toMatch(
      /\n {4}ORIGIN\s+STATE\s+WEIGHT\s+LATENCY\s+IN-FLIGHT\s+CHECKED\s+LAST ERROR\n/,
    );
    expect(result.stdout).toMatch(/\n {4}a\s+healthy\s+2\s/);
    expect(result.stdout).toMatch(/\n {4}b\s+healthy\s+1\s/);
  });

  it("drain sets an origin's weight to 0 and undrain restores it", async () => {
    const drained = await cli(["drain", "web", "a"]);
    expect(drained.code).toBe(0);
    expect(drained.stdout).toMatch(/^Drained/);
    const pool = expectStatus(
      await lb.api.get<{ origins: Array<{ name: string; weight: number }> }>("/pools/web"),
      200,
    );
    expect(pool.body.origins.find((o) => o.name === "a")?.weight).toBe(0);

    const undrained = await cli(["undrain", "web", "a"]);
    expect(undrained.code).toBe(0);
    const restored = expectStatus(
      await lb.api.get<{ origins: Array<{ name: string; weight: number }> }>("/pools/web"),
      200,
    );
    expect(restored.body.origins.find((o) => o.name === "a")?.weight).toBe(2);

    const unknown = await cli(["drain", "web", "nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^Error: 404/);
  });

  it("explain names the load balancer, pool and origin a request would reach", async () => {
    const result = await cli(
      ["explain", "http://www.cli.test/some/path", "--ip", "203.0.113.7"],
      lb.readToken,
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Load balancer:\s+www\b/);
    expect(result.stdout).toMatch(/Pool:\s+web\b/);
    expect(result.stdout).toMatch(/Origin:\s+[ab]\b/);

    const nothing = await cli(["explain", "http://nothing.cli.test/"], lb.readToken);
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toMatch(/Load balancer:\s+none/);
  });

  it("a wrong token or an unreachable endpoint exits 1 with a clear message, wrong usage exits 2", async () => {
    const denied = await cli(["status"], "wrong-token");
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^Error: 401/);
    expect(denied.stderr).toMatch(/EDGE_LB_TOKEN/);

    const closed = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await cli(["status"], lb.readToken, closed);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      new RegExp(`^Error: Cannot reach ${closed}/__lb/api/v1/status: ECONNREFUSED`),
    );

    const usage = await cli(["drain", "web"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/Usage: edge-lb drain <pool> <origin>/);
  });

  it("npx edge-lb --help works from the project directory", async () => {
    const result = await new Promise<CliResult>((resolve) => {
      execFile(
        "npx",
        ["--no-install", "edge-lb", "--help"],
        { cwd: REPO_ROOT, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: edge-lb <command>/);
  });
});
