/**
 * The load balancer and a bare pass-through Worker, side by side in one workerd process started
 * through Miniflare's API. The load balancer is the bundle `wrangler deploy --dry-run` produces,
 * with its Durable Objects on SQLite in a temporary directory. Each Worker listens on its own
 * loopback socket (Miniflare's direct sockets), so requests reach it without Miniflare's entry
 * Worker in between, as they would in production.
 */
import { execFile } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { onCleanup } from "../lib/cleanup.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const PASSTHROUGH_SCRIPT = join(import.meta.dirname, "passthrough-worker.js");
const run = promisify(execFile);

export interface WorkerdRuntime {
  /** Base URL of the load balancer, or null when it could not be bundled or started. */
  lbUrl: string | null;
  /** Why the load balancer is missing, when it is. */
  lbError: string | null;
  passthroughUrl: string;
  /** Base URL of the `before` load balancer, when one was asked for and started. */
  beforeUrl: string | null;
  /** The load balancer's bundle, when it was built. */
  bundlePath: string | null;
  /** Where the Workers' console output goes (one line per log call). */
  logFile: string;
  stop(): Promise<void>;
}

export interface WranglerFacts {
  compatibilityDate: string;
  compatibilityFlags: string[];
  durableObjects: Record<string, string>;
}

/** Reads what Miniflare needs from wrangler.toml (the file is small and flat). */
export function readWranglerToml(): WranglerFacts {
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  if (!date) throw new Error("wrangler.toml has no compatibility_date");
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? "";
  const durableObjects: Record<string, string> = {};
  for (const block of toml.split("[[durable_objects.bindings]]").slice(1)) {
    const name = /^name\s*=\s*"([^"]+)"/m.exec(block)?.[1];
    const className = /^class_name\s*=\s*"([^"]+)"/m.exec(block)?.[1];
    if (name && className) durableObjects[name] = className;
  }
  return {
    compatibilityDate: date,
    compatibilityFlags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]!),
    durableObjects,
  };
}

/**
 * The load balancer's bundle as a Miniflare Worker: its compatibility settings, admin token and
 * Durable Objects on SQLite (defined by `durableObjectsIn`, another Worker of the same bundle, when
 * given). Callers add the name, sockets and service wiring they need.
 * @example { ...lbWorkerOptions(bundle, facts, ADMIN_TOKEN), name: "edge-lb" }
 */
export function lbWorkerOptions(
  bundle: string,
  facts: WranglerFacts,
  adminToken: string,
  durableObjectsIn?: string,
) {
  return {
    modules: true,
    scriptPath: bundle,
    // Module names are relative to this root; the bundle lives outside the working directory.
    modulesRoot: dirname(bundle),
    compatibilityDate: facts.compatibilityDate,
    compatibilityFlags: facts.compatibilityFlags,
    bindings: { ADMIN_TOKEN: adminToken },
    durableObjects: Object.fromEntries(
      Object.entries(facts.durableObjects).map(([binding, className]) => [
        binding,
        { className, useSQLite: true, ...(durableObjectsIn ? { scriptName: durableObjectsIn } : {}) },
      ]),
    ),
  };
}

/**
 * Miniflare options every bench harness shares: warnings only, no dev registry, a placeholder
 * `request.cf` (never fetched from the network), no telemetry, state in `stateDir`.
 */
export function miniflareBase(stateDir: string) {
  return {
    log: new Log(LogLevel.WARN),
    enableDevRegistry: false,
    cf: { colo: "LOC", country: "XX", continent: "EU" },
    telemetry: { enabled: false },
    resourcePersistencePath: stateDir,
  };
}

/**
 * Bundles the Worker as `wrangler deploy --dry-run` does; returns the path of the bundle.
 * @param root the source tree to bundle (another revision's, for a before/after comparison)
 */
export async function bundleWorker(outdir: string, root = ROOT): Promise<string> {
  const wrangler = join(ROOT, "node_modules/wrangler/bin/wrangler.js");
  try {
    await run(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir], {
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the colour codes wrangler prints.
    const plain = `${stdout}\n${stderr}`.replace(/\u001b\[[0-9;]*m/g, "");
    const output = plain
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line && !/^[─~╵│\d\s]+$/.test(line) && !line.includes("Logs were written"))
      .join(" ")
      .slice(0, 400);
    throw new Error(`wrangler deploy --dry-run failed: ${output}`);
  }
  return join(outdir, "index.js");
}

export interface RuntimeOptions {
  /** Origin base URLs the pass-through Worker rotates over. */
  origins: string[];
  adminToken: string;
  /** Opens both Workers' V8 inspectors behind Miniflare's inspector proxy on this port (profiling). */
  inspectorPort?: number;
  /** Another revision's bundle (revision.ts), run beside the load balancer as `edge-lb-before`. */
  before?: string | undefined;
}

/**
 * Bundles the load balancer and starts it with the pass-through Worker in one workerd process.
 * When the load balancer cannot be bundled or started, the pass-through Worker still runs and
 * `lbError` says why.
 */
export async function startRuntime(options: RuntimeOptions): Promise<WorkerdRuntime> {
  const dir = mkdtempSync(join(tmpdir(), "edge-lb-bench-"));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const removeDir = onCleanup("temporary directory", remove, remove);
  const logFile = join(dir, "workers.log");
  const facts = readWranglerToml();

  const passthrough = {
    name: "passthrough",
    modules: true,
    scriptPath: PASSTHROUGH_SCRIPT,
    modulesRoot: dirname(PASSTHROUGH_SCRIPT),
    compatibilityDate: facts.compatibilityDate,
    bindings: { ORIGINS: options.origins },
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    unsafeInspectorProxy: options.inspectorPort !== undefined,
  };

  let lbError: string | null = null;
  let lbWorker: Record<string, unknown> | null = null;
  let bundlePath: string | null = null;
  try {
    const bundle = await bundleWorker(join(dir, "bundle"));
    bundlePath = bundle;
    lbWorker = {
      ...lbWorkerOptions(bundle, facts, options.adminToken),
      name: "edge-lb",
      unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
      unsafeInspectorProxy: options.inspectorPort !== undefined,
    };
  } catch (error) {
    lbError = (error as Error).message;
  }
  const beforeWorker =
    lbWorker && options.before
      ? {
          ...lbWorkerOptions(options.before, facts, options.adminToken),
          name: "edge-lb-before",
          unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
        }
      : null;

  const start = async (workers: Record<string, unknown>[]) => {
    const mf = new Miniflare(
      convertV4MiniflareOptions({
        ...miniflareBase(join(dir, "state")),
        ...(options.inspectorPort === undefined ? {} : { inspectorPort: options.inspectorPort }),
        handleStructuredLogs: (log) => appendFileSync(logFile, `${log.level} ${log.message}\n`),
        // biome-ignore lint/suspicious/noExplicitAny: the worker option shapes are checked by Miniflare at run time.
        workers: workers as any,
      }),
    );
    try {
      await mf.ready;
    } catch (error) {
      await mf.dispose().catch(() => {});
      throw error;
    }
    return mf;
  };

  let mf: Miniflare;
  if (lbWorker) {
    try {
      mf = await start(beforeWorker ? [lbWorker, beforeWorker, passthrough] : [lbWorker, passthrough]);
    } catch (error) {
      lbError = `workerd could not start the bundle: ${(error as Error).message}`;
      lbWorker = null;
      mf = await start([passthrough]);
    }
  } else {
    mf = await start([passthrough]);
  }
  const stopMiniflare = onCleanup("workerd (Miniflare)", () => mf.dispose());

  const lbUrl = lbWorker ? (await mf.unsafeGetDirectURL("edge-lb")).origin : null;
  const passthroughUrl = (await mf.unsafeGetDirectURL("passthrough")).origin;
  const beforeUrl = lbWorker && beforeWorker ? (await mf.unsafeGetDirectURL("edge-lb-before")).origin : null;
  return {
    lbUrl,
    lbError,
    passthroughUrl,
    beforeUrl,
    bundlePath,
    logFile,
    async stop() {
      await stopMiniflare();
      await removeDir();
    },
  };
}
