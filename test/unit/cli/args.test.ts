import { describe, expect, it } from "vitest";
import { parseInvocation, UsageError, usage } from "../../../scripts/cli/args.ts";

const ENV = { EDGE_LB_ENDPOINT: "https://lb.example.com", EDGE_LB_TOKEN: "env-token" };

function usageError(argv: string[], env: Record<string, string | undefined> = ENV): UsageError {
  try {
    parseInvocation(argv, env);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`expected a usage error for ${argv.join(" ")}`);
}

describe("parseInvocation", () => {
  it("reads the command, its arguments and the connection from the environment", () => {
    const invocation = parseInvocation(["drain", "web-eu", "eu-1"], ENV);
    expect(invocation.command).toBe("drain");
    expect(invocation.args).toEqual(["web-eu", "eu-1"]);
    expect(invocation.connection).toEqual({ endpoint: "https://lb.example.com", token: "env-token" });
  });

  it("prefers flags over the environment, wherever the flags stand", () => {
    const invocation = parseInvocation(
      ["--endpoint", "http://127.0.0.1:8787", "status", "--token=flag-token"],
      ENV,
    );
    expect(invocation.connection).toEqual({ endpoint: "http://127.0.0.1:8787", token: "flag-token" });
  });

  it("accepts an endpoint given with the API path or a trailing slash", () => {
    for (const endpoint of [
      "https://lb.example.com/",
      "https://lb.example.com/__lb/api/v1",
      "https://lb.example.com/__lb/",
    ]) {
      const invocation = parseInvocation(["status", "--endpoint", endpoint], ENV);
      expect(invocation.connection?.endpoint).toBe("https://lb.example.com");
    }
  });

  it("parses apply with --dry-run, export with --format and explain with repeated headers", () => {
    expect(parseInvocation(["apply", "lb.yaml", "--dry-run"], ENV)).toMatchObject({
      command: "apply",
      args: ["lb.yaml"],
      dryRun: true,
    });
    expect(parseInvocation(["export"], ENV).format).toBe("yaml");
    expect(parseInvocation(["export", "--format", "json"], ENV).format).toBe("json");
    const explain = parseInvocation(
      [
        "explain",
        "https://www.example.com/a",
        "--ip",
        "203.0.113.9",
        "--header",
        "X-User=42",
        "--header",
        "cookie=a=b",
      ],
      ENV,
    );
    expect(explain.ip).toBe("203.0.113.9");
    expect(explain.headers).toEqual([
      ["x-user", "42"],
      ["cookie", "a=b"],
    ]);
  });

  it("shows help without needing a connection", () => {
    expect(parseInvocation([], {})).toMatchObject({ command: "help", helpFor: undefined });
    expect(parseInvocation(["--help"], {})).toMatchObject({ command: "help", helpFor: undefined });
    expect(parseInvocation(["apply", "--help"], {})).toMatchObject({ command: "help", helpFor: "apply" });
    expect(parseInvocation(["help", "explain"], {})).toMatchObject({ command: "help", helpFor: "explain" });
  });

  it("refuses mistakes with a message that names them", () => {
    expect(usageError(["frobnicate"]).message).toBe('Unknown command "frobnicate"');
    expect(usageError(["drain", "web-eu"]).message).toBe('"drain" takes <pool> <origin>, got 1');
    expect(usageError(["status", "extra"]).message).toBe('"status" takes no arguments, got 1');
    expect(usageError(["status", "--dry-run"]).message).toBe('"status" does not take --dry-run');
    expect(usageError(["export", "--format", "xml"]).message).toBe(
      '--format must be "yaml" or "json", not "xml"',
    );
    expect(usageError(["status", "--bogus"]).message).toMatch(/bogus/);
    expect(usageError(["explain", "https://x", "--header", "novalue"]).message).toMatch(/name=value/);
  });

  it("asks for an endpoint and a token when neither flag nor environment gives them", () => {
    expect(usageError(["status"], {}).message).toMatch(/--endpoint.*EDGE_LB_ENDPOINT/);
    expect(usageError(["status"], { EDGE_LB_ENDPOINT: "https://lb" }).message).toMatch(
      /--token.*EDGE_LB_TOKEN/,
    );
    expect(usageError(["status", "--endpoint", "lb.example.com"], ENV).message).toMatch(/http\(s\) URL/);
    expect(usageError(["status", "--endpoint", "ftp://lb.example.com"], ENV).message).toMatch(
      /http\(s\) URL/,
    );
  });

  it("keeps the command of a usage error so its usage can be shown", () => {
    expect(usageError(["drain"]).command).toBe("drain");
    expect(usage("drain")).toMatch(/^Usage: edge-lb drain <pool> <origin>/);
    expect(usage()).toMatch(/Commands:/);
    for (const command of ["apply", "export", "status", "drain", "undrain", "explain"]) {
      expect(usage()).toContain(`  ${command}`);
    }
  });
});
