/**
 * `edge-lb`: the operator's command line for the management API.
 * Exit codes: 0 done, 1 failed (refused by the API, unreachable, unreadable file), 2 wrong usage.
 */
import { readFile } from "node:fs/promises";
import { parseInvocation, UsageError, usage } from "./args.ts";
import { ApiClient, ApiError, NetworkError } from "./client.ts";
import { applyConfig, exportConfig, type Output } from "./config.ts";
import { DocumentError } from "./document.ts";
import { explain } from "./explain.ts";
import { formatProblem } from "./format.ts";
import { parseRequestLines, rollback, showHistory } from "./history.ts";
import { runImport } from "./import.ts";
import { setDrain } from "./origin.ts";
import { showStatus } from "./status.ts";

export interface CliContext {
  env: Record<string, string | undefined>;
  output: Output;
  /** Reads a file named on the command line; "-" is standard input. */
  readText(name: string): Promise<string>;
  now(): number;
  fetch?: typeof fetch;
}

/** Runs one invocation and returns its exit code; never throws. */
export async function runCli(argv: string[], context: CliContext): Promise<number> {
  const { output } = context;
  try {
    const invocation = parseInvocation(argv, context.env);
    if (invocation.command === "help") {
      output.out(`${usage(invocation.helpFor)}\n`);
      return 0;
    }
    const [first = "", second = ""] = invocation.args;
    if (invocation.command === "import") {
      return runImport(first, await readSource(first, context), invocation.format, output);
    }
    const connection = invocation.connection!;
    const client = new ApiClient(connection, context.fetch);
    switch (invocation.command) {
      case "apply": {
        const requests = invocation.requests;
        const samples = requests
          ? parseRequestLines(await readSource(requests, context), requests)
          : undefined;
        return await applyConfig(
          client,
          first,
          await readSource(first, context),
          invocation.dryRun,
          output,
          samples,
        );
      }
      case "history":
        return await showHistory(client, invocation.json, output);
      case "rollback":
        return await rollback(client, first, invocation.dryRun, output);
      case "export":
        return await exportConfig(client, invocation.format, connection.endpoint, output);
      case "status":
        return await showStatus(client, invocation.json, output, context.now());
      case "drain":
      case "undrain":
        return await setDrain(client, invocation.command, first, second, output);
      case "explain":
        return await explain(
          client,
          {
            url: first,
            ip: invocation.ip,
            country: invocation.country,
            continent: invocation.continent,
            headers: invocation.headers,
          },
          invocation.json,
          output,
        );
      default:
        throw new UsageError(`Unknown command "${invocation.command}"`);
    }
  } catch (error) {
    return reportFailure(error, output);
  }
}

async function readSource(name: string, context: CliContext): Promise<string> {
  try {
    return await context.readText(name);
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new DocumentError(`Cannot read ${name}: ${code === "ENOENT" ? "no such file" : String(error)}`);
  }
}

function reportFailure(error: unknown, output: Output): number {
  if (error instanceof UsageError) {
    output.err(`Error: ${error.message}\n\n${usage(error.command)}\n`);
    return 2;
  }
  if (error instanceof ApiError) {
    output.err(`${formatProblem(error.status, error.problem)}\n`);
    return 1;
  }
  if (error instanceof NetworkError || error instanceof DocumentError) {
    output.err(`Error: ${error.message}\n`);
    return 1;
  }
  output.err(`Error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}

/** The real process: argv, environment, stdio and files. */
export async function main(): Promise<void> {
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const code = await runCli(process.argv.slice(2), {
    env: process.env,
    output: {
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
      color,
    },
    readText: (name) => (name === "-" ? readStdin() : readFile(name, "utf8")),
    now: () => Date.now(),
  });
  process.exitCode = code;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
