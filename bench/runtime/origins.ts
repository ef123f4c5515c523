/**
 * Benchmark origins: each a child process running origin-server.ts on 127.0.0.1, so the origins
 * never share an event loop with the load generator. An origin can be killed (SIGKILL, as a crash)
 * and started again on the same port.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { onCleanup } from "../lib/cleanup.ts";

const SCRIPT = new URL("./origin-server.ts", import.meta.url).pathname;

export interface BenchOrigin {
  readonly name: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Whether the process is running. */
  alive(): boolean;
  /** SIGKILL, then waits until the process is gone and its port is free. */
  kill(): Promise<void>;
  /** Starts a new process on the same port. */
  restart(): Promise<void>;
  /** Stops the origin for good. */
  stop(): Promise<void>;
}

async function spawnOrigin(name: string, port: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [SCRIPT, name, String(port)], {
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const lines = createInterface({ input: child.stdout! });
  const bound = await new Promise<number>((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`origin ${name} exited (${code}) before listening`));
    child.once("exit", onExit);
    child.once("error", reject);
    lines.once("line", (line) => {
      child.off("exit", onExit);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  lines.close();
  return { child, port: bound };
}

function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

/**
 * Starts one origin process; `port` 0 picks a free port.
 * @example const origin = await startOrigin("origin-1");
 */
export async function startOrigin(name: string, port = 0): Promise<BenchOrigin> {
  let current = await spawnOrigin(name, port);
  const fixedPort = current.port;
  const stop = onCleanup(
    `origin ${name}`,
    () => killAndWait(current.child),
    () => current.child.kill("SIGKILL"),
  );
  return {
    name,
    port: fixedPort,
    url: `http://127.0.0.1:${fixedPort}`,
    alive: () => current.child.exitCode === null && current.child.signalCode === null,
    kill: () => killAndWait(current.child),
    async restart() {
      await killAndWait(current.child);
      current = await spawnOrigin(name, fixedPort);
    },
    stop,
  };
}

/** Starts `count` origins named origin-1..origin-N; stops them all when the benchmark ends. */
export async function startOrigins(count: number): Promise<BenchOrigin[]> {
  const origins: BenchOrigin[] = [];
  for (let i = 1; i <= count; i++) origins.push(await startOrigin(`origin-${i}`));
  return origins;
}

/** Stops origins started by `startOrigins`. */
export async function stopOrigins(origins: readonly BenchOrigin[]): Promise<void> {
  await Promise.all(origins.map((origin) => origin.stop()));
}
