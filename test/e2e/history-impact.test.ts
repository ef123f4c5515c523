/**
 * Configuration history, rollback and the impact preview, through the `edge-lb` CLI against the
 * real local runtime and real origins, as an operator uses them:
 *
 * - `apply --dry-run --requests sample.jsonl` predicts what share of the sample changes pool and
 *   origin; after the real apply, the same requests sent through the load balancer move exactly so;
 * - `history` lists the versions; `rollback <version>` restores that version's document byte for
 *   byte (but for version numbers), and traffic goes back.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectStatus } from "../helpers/admin-client.ts";
import { send } from "../helpers/http.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import type { OriginEcho } from "../helpers/origins.ts";
import { REPO_ROOT } from "../helpers/runtime.ts";
import { waitFor } from "../helpers/wait.ts";

const CLI = join(REPO_ROOT, "scripts", "cli.mjs");

let lb: TestLoadBalancer;
let dir: string;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
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

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/** Web traffic on pool `www` goes to `wwwPool`; api traffic stays on pool one. */
function config(wwwPool: "one" | "two"): string {
  const [a, b] = lb.origins;
  return JSON.stringify({
    pools: [
      { id: "one", origins: [{ name: "a", address: a!.url }] },
      { id: "two", origins: [{ name: "b", address: b!.url }] },
    ],
    loadBalancers: [
      { id: "www", hostname: "www.history.test", pools: [wwwPool] },
      { id: "api", hostname: "api.history.test", pools: ["one"] },
    ],
  });
}

const SAMPLE = [
  ...Array.from({ length: 6 }, (_, i) => ({ host: "www.history.test", path: `/page/${i}` })),
  ...Array.from({ length: 4 }, (_, i) => ({ host: "api.history.test", path: `/v1/${i}` })),
];

/** The origin that answers each sample request through the load balancer now. */
async function originsOfSample(): Promise<string[]> {
  const answers: string[] = [];
  for (const request of SAMPLE) {
    const res = await send(lb.url, request);
    expect(res.status).toBe(200);
    answers.push(res.json<OriginEcho>().origin);
  }
  return answers;
}

async function rawConfig(): Promise<string> {
  return (
    await send(lb.url, {
      path: "/__lb/api/v1/config",
      headers: { authorization: `Bearer ${lb.adminToken}` },
    })
  ).text();
}

/** A document with every `version` number replaced, so two versions of the same content compare equal. */
function withoutVersionNumbers(text: string): string {
  return text.replace(/"version":\d+/g, '"version":0');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edge-lb-history-"));
  lb = await startLoadBalancer({ origins: ["a", "b"] });
});

afterAll(async () => {
  await lb?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("impact preview, history and rollback", () => {
  it("predicts what a change moves, and real requests then move exactly so", async () => {
    const first = await cli(["apply", await file("one.json", config("one"))]);
    expect(first.code).toBe(0);
    const before = await originsOfSample();
    expect(before).toEqual(Array(10).fill("a"));

    const samples = SAMPLE.map((r) => JSON.stringify({ url: `http://${r.host}${r.path}` })).join("\n");
    const candidate = await file("two.json", config("two"));
    const preview = await cli([
      "apply",
      candidate,
      "--dry-run",
      "--requests",
      await file("sample.jsonl", samples),
    ]);
    expect(preview.stderr).toBe("");
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain("~ load balancer www");
    expect(preview.stdout).toContain("Impact on 10 sample requests:");
    const predicted = (label: string) =>
      Number(new RegExp(`${label}\\s+(\\d+)`).exec(preview.stdout)?.[1] ?? Number.NaN);
    expect(predicted("change load balancer")).toBe(0);
    expect(predicted("change pool")).toBe(6);
    expect(predicted("change origin")).toBe(6);
    expect(await originsOfSample()).toEqual(before);

    expect((await cli(["apply", candidate])).code).toBe(0);
    await waitFor(async () => (await send(lb.url, SAMPLE[0])).json<OriginEcho>().origin === "b", {
      what: "the new configuration at the edge",
    });
    const after = await originsOfSample();
    const moved = after.filter((origin, i) => origin !== before[i]).length;
    expect(moved).toBe(predicted("change origin"));
  }, 120_000);

  it("lists the versions and rolls back to one byte for byte, and traffic follows", async () => {
    const versions = expectStatus(
      await lb.api.get<{ items: { version: number; summary: string; role: string }[] }>("/config/versions"),
      200,
    ).body.items;
    const target = versions.find((item) => item.summary.includes('load balancer "www": created'));
    expect(target).toBeDefined();
    const version = target!.version;
    const wanted = (
      await send(lb.url, {
        path: `/__lb/api/v1/config/versions/${version}`,
        headers: { authorization: `Bearer ${lb.adminToken}` },
      })
    ).text();

    const history = await cli(["history"]);
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/VERSION\s+AT\s+ROLE\s+SUMMARY/);
    expect(history.stdout).toMatch(new RegExp(`^\\s*${version}\\s+\\S+\\s+admin\\s+`, "m"));

    const current = await rawConfig();
    const dry = await cli(["rollback", String(version), "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("~ load balancer www");
    expect(dry.stdout).toContain("Dry run: nothing was changed.");
    expect(await rawConfig()).toBe(current);

    const done = await cli(["rollback", String(version)]);
    expect(done.stderr).toBe("");
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(`Rolled back to version ${version}`);
    const restored = await rawConfig();
    expect(restored).not.toBe(wanted);
    expect(withoutVersionNumbers(restored)).toBe(withoutVersionNumbers(wanted));
    await waitFor(async () => (await send(lb.url, SAMPLE[0])).json<OriginEcho>().origin === "a", {
      what: "the rolled back configuration at the edge",
    });
    expect(await originsOfSample()).toEqual(Array(10).fill("a"));

    const newest = expectStatus(
      await lb.api.get<{ items: { summary: string }[] }>("/config/versions?limit=1"),
      200,
    ).body.items[0];
    expect(newest?.summary).toMatch(new RegExp(`^rollback to version ${version}: `));
    const missing = await cli(["rollback", "999999"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("404");
  }, 120_000);
});
