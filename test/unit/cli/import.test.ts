/**
 * `edge-lb import --from cloudflare <file>` as the operator runs it: the document on standard
 * output (YAML or JSON), the report on standard error, the exit code, and no API involved.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseInvocation, UsageError } from "../../../scripts/cli/args.ts";
import { formatImportReport } from "../../../scripts/cli/import.ts";
import { importCloudflare } from "../../../scripts/cli/import-cloudflare.ts";
import { type CliContext, runCli } from "../../../scripts/cli/main.ts";
import { parseConfigDocument } from "../../../worker/config/document.ts";
import {
  cloudflareExport,
  cloudflareOrigin,
  cloudflarePool,
  REFERENCE_EXAMPLES,
} from "../../helpers/cloudflare-documents.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  fetched: number;
}

/** Runs the CLI on files held in memory; no endpoint or token is set, and any fetch is counted. */
async function run(argv: string[], files: Record<string, string>): Promise<Run> {
  let stdout = "";
  let stderr = "";
  let fetched = 0;
  const context: CliContext = {
    env: {},
    output: { out: (text) => (stdout += text), err: (text) => (stderr += text), color: false },
    readText: async (name) => {
      const text = files[name];
      if (text === undefined) throw Object.assign(new Error("missing"), { code: "ENOENT" });
      return text;
    },
    now: () => 0,
    fetch: (async () => {
      fetched++;
      return new Response("{}");
    }) as typeof fetch,
  };
  const code = await runCli(argv, context);
  return { code, stdout, stderr, fetched };
}

const REFERENCE = JSON.stringify(REFERENCE_EXAMPLES);

describe("edge-lb import --from cloudflare", () => {
  it("prints a YAML document apply accepts, and the report on standard error; no API call", async () => {
    const result = await run(["import", "--from", "cloudflare", "lb.json"], { "lb.json": REFERENCE });
    expect(result.code).toBe(0);
    expect(result.fetched).toBe(0);
    expect(result.stdout).toMatch(
      /^# Edge LB configuration imported from Cloudflare Load Balancing \(lb\.json\)\./,
    );
    const document = parse(result.stdout) as unknown;
    expect(document).toEqual(importCloudflare(REFERENCE_EXAMPLES).config);
    expect(parseConfigDocument(document).ok).toBe(true);
    expect(result.stderr).toMatch(/^Imported 1 pool and 1 load balancer from lb\.json\./);
    expect(result.stderr).toContain("load_balancers[www.example.com].pop_pools: Edge LB steers by country");
  });

  it("prints JSON with --format json", async () => {
    const result = await run(["import", "lb.json", "--from", "cloudflare", "--format", "json"], {
      "lb.json": REFERENCE,
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(importCloudflare(REFERENCE_EXAMPLES).config);
  });

  it("reads standard input as -", async () => {
    const result = await run(["import", "--from", "cloudflare", "-"], { "-": REFERENCE });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("(standard input)");
  });

  it("exits 1 when nothing converts, when the file is not JSON, not a Cloudflare export or missing", async () => {
    const empty = JSON.stringify(
      cloudflareExport({ pools: [cloudflarePool({ id: "p", name: "web", origins: [] })] }),
    );
    const nothing = await run(["import", "--from", "cloudflare", "e.json"], { "e.json": empty });
    expect(nothing).toMatchObject({ code: 1, stdout: "" });
    expect(nothing.stderr).toContain("pools[web]: no origin with an address");
    expect(nothing.stderr).toMatch(/Error: nothing in it could be converted\.\n$/);

    const broken = await run(["import", "--from", "cloudflare", "b.json"], { "b.json": "{ pools: [" });
    expect(broken).toMatchObject({ code: 1, stdout: "" });
    expect(broken.stderr).toMatch(/^Error: b\.json is not valid JSON/);

    const other = await run(["import", "--from", "cloudflare", "o.json"], { "o.json": '{"pools": 3}' });
    expect(other.stderr).toBe(
      'Error: o.json: pools must be an array (the "result" of Cloudflare\'s list call)\n',
    );

    const missing = await run(["import", "--from", "cloudflare", "m.json"], {});
    expect(missing).toMatchObject({ code: 1, stderr: "Error: Cannot read m.json: no such file\n" });
  });

  it("needs --from cloudflare and one file: wrong usage exits 2", async () => {
    const noFrom = await run(["import", "lb.json"], { "lb.json": REFERENCE });
    expect(noFrom.code).toBe(2);
    expect(noFrom.stderr).toMatch(/^Error: "import" needs --from cloudflare\n/);
    const other = await run(["import", "--from", "haproxy", "lb.json"], { "lb.json": REFERENCE });
    expect(other.stderr).toMatch(/needs --from cloudflare \(got "haproxy"\)/);
    expect((await run(["import", "--from", "cloudflare"], {})).code).toBe(2);
    expect(() => parseInvocation(["import", "a.json", "--from", "cloudflare", "--dry-run"], {})).toThrow(
      UsageError,
    );
  });
});

describe("the import report", () => {
  it("names what each object became, then the notes by kind", () => {
    const document = cloudflareExport({
      pools: [
        cloudflarePool({
          id: "17b5962d",
          name: "web",
          origins: [cloudflareOrigin({ name: "a", address: "a.test" })],
        }),
      ],
    });
    expect(formatImportReport(importCloudflare(document), "cf.json")).toBe(
      [
        "Imported 1 pool and 0 load balancers from cf.json.",
        "",
        "  KIND  EDGE LB ID  CLOUDFLARE ID  NAME",
        "  pool  web         17b5962d       web",
        "",
        "Converted to the nearest equivalent, which behaves differently:",
        "  pools: origins without a Host header (web/a) receive their address as Host, where Cloudflare sends " +
          "the load balancer's hostname: set hostHeader where an origin needs the public name",
        "",
        "Not stated in the file, assumed:",
        "  pools[web].origins: no HTTP or HTTPS monitor says which protocol the origins speak: https",
        "",
      ].join("\n"),
    );
  });

  it("counts the monitors that became health checks", () => {
    const document = {
      ...REFERENCE_EXAMPLES,
      pools: [{ ...REFERENCE_EXAMPLES.pools[0]!, monitor: "f1aba936b94213e5b8dca0c0dbf1f9cc" }],
    };
    expect(formatImportReport(importCloudflare(document), "-")).toMatch(
      /^Imported 1 pool \(1 monitor as health checks\) and 1 load balancer from standard input\.\n/,
    );
  });
});
