/**
 * `npm start`: Edge LB on this machine in one command. Starts three demo origins on loopback and
 * `wrangler dev` (local mode, state under .wrangler/), seeds a load balancer for `demo.localhost`
 * through the management API, prints what to try, and stops everything on Ctrl-C.
 *
 * Environment: PORT (default 8787) for the load balancer.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { copyFile, readFile, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startOrigins, stopOrigins, type TestOrigin } from "../test/helpers/origins.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const IP = "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8787);
const BASE = `http://${IP}:${PORT}`;
const HOSTNAME = "demo.localhost";
const READY_TIMEOUT_MS = 90_000;

interface ConfigDocument {
  pools: { id: string }[];
  loadBalancers: { id: string }[];
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Creates .dev.vars from the example on first run and returns its ADMIN_TOKEN. */
async function devAdminToken(): Promise<string> {
  const devVars = join(ROOT, ".dev.vars");
  if (!(await exists(devVars))) {
    await copyFile(join(ROOT, ".dev.vars.example"), devVars);
    console.log("Created .dev.vars from .dev.vars.example (local development tokens).");
  }
  const text = await readFile(devVars, "utf8");
  const match = /^\s*ADMIN_TOKEN\s*=\s*"?([^"\r\n]*)"?\s*$/m.exec(text);
  if (!match?.[1]) throw new Error(".dev.vars has no ADMIN_TOKEN; copy it from .dev.vars.example");
  return match[1];
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, IP, () => server.close(() => resolve(true)));
  });
}

function startWrangler(): { child: ChildProcess; output: () => string; goLive: () => void } {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "node_modules", ".bin", "wrangler"),
      "dev",
      "--ip",
      IP,
      "--port",
      String(PORT),
      "--show-interactive-dev-session=false",
    ],
    {
      cwd: ROOT,
      // Its own process group: Ctrl-C reaches only this script, which then stops the whole group.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    },
  );
  // Startup chatter is kept back and shown only if startup fails; afterwards wrangler's log streams.
  let buffered = "";
  let live = false;
  const forward = (target: NodeJS.WriteStream) => (chunk: Buffer) => {
    if (live) target.write(chunk);
    else buffered += chunk.toString("utf8");
  };
  child.stdout?.on("data", forward(process.stdout));
  child.stderr?.on("data", forward(process.stderr));
  return {
    child,
    output: () => buffered,
    goLive: () => {
      live = true;
    },
  };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Stops wrangler and workerd: SIGTERM to the group, SIGKILL to whatever is left after 5 s. */
async function stopGroup(child: ChildProcess): Promise<void> {
  signalGroup(child, "SIGTERM");
  if (child.exitCode === null && child.signalCode === null) {
    await Promise.race([
      new Promise((resolve) => child.once("exit", resolve)),
      new Promise((resolve) => setTimeout(resolve, 5000)),
    ]);
  }
  signalGroup(child, "SIGKILL");
}

async function waitUntilHealthy(child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${BASE}/__lb/healthz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${BASE}/__lb/healthz did not answer within ${READY_TIMEOUT_MS / 1000} s`);
}

async function api(token: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${BASE}/__lb/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/**
 * Puts the demo pool and load balancer into the configuration, keeping everything else, so a
 * restart (with new origin ports) updates them in place.
 */
async function seed(token: string, origins: readonly TestOrigin[]): Promise<void> {
  const current = (await api(token, "GET", "/config")) as ConfigDocument;
  const pool = {
    id: "demo",
    description: "Three local origins started by npm start",
    algorithm: "round_robin",
    origins: origins.map((origin) => ({ name: origin.name, address: origin.url })),
  };
  const loadBalancer = { id: "demo", hostname: HOSTNAME, pools: ["demo"], debugHeaders: true };
  await api(token, "PUT", "/config", {
    pools: [...current.pools.filter((p) => p.id !== "demo"), pool],
    loadBalancers: [...current.loadBalancers.filter((lb) => lb.id !== "demo"), loadBalancer],
  });
}

function instructions(token: string, origins: readonly TestOrigin[]): string {
  const auth = `-H 'Authorization: Bearer ${token}'`;
  return `
Edge LB is running on ${BASE}

  origins        ${origins.map((o) => `${o.name} ${o.url}`).join("\n                 ")}
  load balancer  "demo": Host ${HOSTNAME} -> pool "demo" (round_robin)

Try it:
  curl -H 'Host: ${HOSTNAME}' ${BASE}/hello          # repeat: ${origins.map((o) => o.name).join(", ")} answer in turn
  curl ${auth} ${BASE}/__lb/api/v1/pools
  curl ${auth} -X PATCH -H 'Content-Type: application/json' \\
       -d '{"algorithm":"random"}' ${BASE}/__lb/api/v1/pools/demo
  Dashboard:     ${BASE}/__lb/  (sign in with the token from .dev.vars)
  API reference: ${BASE}/__lb/docs
  Decisions:     curl ${auth} '${BASE}/__lb/api/v1/explain?url=http://${HOSTNAME}/hello'

Ctrl-C stops wrangler and the demo origins.
`;
}

async function main(): Promise<void> {
  if (!Number.isInteger(PORT) || PORT <= 0 || PORT > 65_535) throw new Error(`PORT must be a port number`);
  if (!(await portIsFree(PORT))) {
    throw new Error(`port ${PORT} is in use; choose another, e.g. PORT=${PORT + 1} npm start`);
  }
  const token = await devAdminToken();
  const origins = await startOrigins(["origin-1", "origin-2", "origin-3"]);
  const wrangler = startWrangler();

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await stopGroup(wrangler.child);
    await stopOrigins(origins);
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  wrangler.child.on("exit", (code) => {
    if (!stopping) {
      console.error(`wrangler dev stopped (exit code ${code}).`);
      void stop(code ?? 1);
    }
  });

  console.log(`Starting wrangler dev on ${BASE} ...`);
  try {
    await waitUntilHealthy(wrangler.child);
    await seed(token, origins);
  } catch (error) {
    console.error(wrangler.output());
    console.error(`Could not start the demo: ${(error as Error).message}`);
    await stop(1);
    return;
  }
  console.log(instructions(token, origins));
  wrangler.goLive();
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
