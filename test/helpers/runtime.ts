/**
 * Starts the real local runtime (`wrangler dev`) on free loopback ports with fresh state, waits until
 * `GET /__lb/healthz` answers, and stops it again by killing its whole process group.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { send } from "./http.ts";

/** The repository root (where wrangler.toml lives). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WRANGLER_BIN = join(REPO_ROOT, "node_modules", ".bin", "wrangler");

export interface Runtime {
  /** "http://127.0.0.1:<port>" */
  readonly url: string;
  readonly port: number;
  readonly adminToken: string;
  readonly readToken: string;
  /** Everything wrangler printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

export interface StartRuntimeOptions {
  /** Extra `--var NAME:value` pairs. */
  vars?: Record<string, string>;
  /** How long to wait for `/__lb/healthz` to answer 200 (default 90 s). */
  readyTimeoutMs?: number;
  /**
   * Keep state in this directory (the caller creates and removes it), so a later runtime started
   * with the same directory finds it: a restart. Default: a fresh directory removed on `stop()`.
   */
  persistTo?: string;
  /** The ADMIN_TOKEN to start with (default: a random one). */
  adminToken?: string;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = address && typeof address === "object" ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

function killAll(): void {
  for (const child of running) killGroup(child, "SIGKILL");
}

// wrangler runs in its own process group, so it would outlive an interrupted test run.
process.once("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    killAll();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function stopChild(child: ChildProcess): Promise<void> {
  killGroup(child, "SIGTERM");
  const gone = await Promise.race([
    exited(child).then(() => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), 5000)),
  ]);
  // workerd may outlive the wrangler parent; the group kill reaches it either way.
  killGroup(child, "SIGKILL");
  if (!gone) await exited(child);
  running.delete(child);
}

function tail(text: string, lines = 60): string {
  return text.split("\n").slice(-lines).join("\n");
}

/**
 * Starts `wrangler dev` for this repository with random ADMIN_TOKEN and READ_TOKEN.
 * @example const lb = await startRuntime(); ...; await lb.stop();
 */
export async function startRuntime(options: StartRuntimeOptions = {}): Promise<Runtime> {
  const port = await freePort();
  const inspectorPort = await freePort();
  const persistTo = options.persistTo ?? (await mkdtemp(join(tmpdir(), "edge-lb-e2e-")));
  const adminToken = options.adminToken ?? `admin-${randomUUID()}`;
  const readToken = `read-${randomUUID()}`;
  const vars = { ADMIN_TOKEN: adminToken, READ_TOKEN: readToken, ...options.vars };
  const args = [
    WRANGLER_BIN,
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    persistTo,
    "--show-interactive-dev-session=false",
    ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
  ];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  running.add(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(child);
    if (options.persistTo === undefined) await rm(persistTo, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(
        `wrangler dev exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail(output)}`,
      );
    }
    try {
      // With ADMIN_HOSTNAME set, /__lb answers only there.
      const host = options.vars?.ADMIN_HOSTNAME;
      const res = await send(url, { path: "/__lb/healthz", timeoutMs: 5000, ...(host ? { host } : {}) });
      if (res.status === 200) {
        return { url, port, adminToken, readToken, output: () => output, stop };
      }
      last = `${res.status} ${res.text().slice(0, 300)}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(
    `GET /__lb/healthz did not answer 200 in time (last: ${last}); wrangler said:\n${tail(output)}`,
  );
}
