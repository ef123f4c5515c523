/**
 * Several copies of the bundled Worker, each its own isolate, sharing one set of Durable Objects:
 * as several edge locations would. The bundle is what `wrangler deploy --dry-run` produces; it runs
 * in one workerd process through Miniflare's API. The first copy defines the Durable Objects, the
 * others bind to them by script name. Each copy listens on its own loopback socket.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { REPO_ROOT } from "../helpers/runtime.ts";

const run = promisify(execFile);

export interface Edges {
  /** Base URL of each copy, e.g. "http://127.0.0.1:41234". */
  readonly urls: readonly string[];
  readonly adminToken: string;
  /** What the copies logged (one line per console call), for a failing test's message. */
  logs(): string;
  stop(): Promise<void>;
}

interface WranglerFacts {
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** Binding name to class name. */
  durableObjects: Record<string, string>;
}

async function wranglerFacts(): Promise<WranglerFacts> {
  const toml = await readFile(join(REPO_ROOT, "wrangler.toml"), "utf8");
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
    compatibilityFlags: [...flags.matchAll(/"([^"]+)"/g)].map((match) => match[1]!),
    durableObjects,
  };
}

async function bundle(outdir: string): Promise<string> {
  const wrangler = join(REPO_ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
  await run(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir], {
    cwd: REPO_ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    maxBuffer: 16 * 1024 * 1024,
  });
  return join(outdir, "index.js");
}

/** How the copies are placed. */
export interface EdgeOptions {
  /**
   * Per copy, the `LOCATION_CACHE` it names: copies naming the same cache act as isolates of one
   * location (Miniflare shares every named cache across its workers), different names as different
   * locations. Unset: the default cache for all, one location.
   */
  readonly locationCaches?: readonly string[];
}

/**
 * Bundles the Worker and starts `count` copies of it sharing their Durable Objects.
 * @example const edges = await startEdges(3); ...; await edges.stop();
 */
export async function startEdges(count: number, options: EdgeOptions = {}): Promise<Edges> {
  const dir = await mkdtemp(join(tmpdir(), "edge-lb-multi-"));
  const adminToken = `admin-${randomUUID()}`;
  const lines: string[] = [];
  let mf: Miniflare | null = null;
  try {
    const facts = await wranglerFacts();
    const script = await bundle(join(dir, "bundle"));
    const names = Array.from({ length: count }, (_, i) => `edge-${i + 1}`);
    const workers = names.map((name, i) => ({
      name,
      modules: true,
      scriptPath: script,
      modulesRoot: dirname(script),
      compatibilityDate: facts.compatibilityDate,
      compatibilityFlags: facts.compatibilityFlags,
      bindings: {
        ADMIN_TOKEN: adminToken,
        ...(options.locationCaches?.[i] ? { LOCATION_CACHE: options.locationCaches[i] } : {}),
      },
      durableObjects: Object.fromEntries(
        Object.entries(facts.durableObjects).map(([binding, className]) => [
          binding,
          i === 0 ? { className, useSQLite: true } : { className, scriptName: names[0]!, useSQLite: true },
        ]),
      ),
      unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    }));
    mf = new Miniflare(
      convertV4MiniflareOptions({
        log: new Log(LogLevel.WARN),
        enableDevRegistry: false,
        // A placeholder `request.cf`: never fetch the real one from the network.
        cf: { colo: "LOC", country: "XX", continent: "EU" },
        telemetry: { enabled: false },
        resourcePersistencePath: join(dir, "state"),
        handleStructuredLogs: (log: { level: string; message: string }) => {
          lines.push(`${log.level} ${log.message}`);
          if (lines.length > 500) lines.shift();
        },
        // biome-ignore lint/suspicious/noExplicitAny: Miniflare checks the worker option shapes at run time.
        workers: workers as any,
      }),
    );
    await mf.ready;
    const started = mf;
    const urls = await Promise.all(
      names.map(async (name) => (await started.unsafeGetDirectURL(name)).origin),
    );
    return {
      urls,
      adminToken,
      logs: () => lines.join("\n"),
      async stop() {
        await started.dispose();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await mf?.dispose().catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
