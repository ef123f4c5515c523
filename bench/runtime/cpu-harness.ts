/**
 * The CPU-only harness: the load balancer and the bare pass-through Worker in one workerd process
 * with no socket in the path. A driver Worker sends the requests through service bindings, and
 * every outbound `fetch` of both Workers (origins, health checks) goes to a stub origin Worker in the
 * same process (Miniflare's `outboundService`). What workerd spends per request is then the Worker's
 * own work plus the runtime's request plumbing, the same for both, and none of the kernel's.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { onCleanup } from "../lib/cleanup.ts";
import { http } from "../lib/http.ts";
import { ADMIN_TOKEN, seedAndVerify } from "./lb-admin.ts";
import { bundleWorker, lbWorkerOptions, miniflareBase, readWranglerToml } from "./workerd.ts";

const PASSTHROUGH_SCRIPT = join(import.meta.dirname, "passthrough-worker.js");
/** Origin addresses the load balancer is configured with; the stub answers them all. */
export const STUB_ORIGINS = ["http://origin-1.test", "http://origin-2.test", "http://origin-3.test"];

const ORIGIN_STUB = `export default {
  fetch(request) {
    return new Response("origin ok", { headers: { "x-origin": new URL(request.url).hostname, "content-type": "text/plain", "content-length": "9" } });
  },
};`;

const DRIVER = `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const name = url.searchParams.get("target");
    const target = name === "edge-lb" ? env.LB : name === "edge-lb-before" ? env.LB_BEFORE : env.PASS;
    const count = Number(url.searchParams.get("n"));
    const lanes = Number(url.searchParams.get("c"));
    let started = 0;
    let ok = 0;
    let failed = 0;
    const lane = async () => {
      while (started < count) {
        started++;
        const response = await target.fetch("http://bench.localhost/", { headers: { "user-agent": "bench" } });
        await response.arrayBuffer();
        if (response.status === 200) ok++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
    return Response.json({ ok, failed });
  },
};`;

/** The Workers a harness drives: `edge-lb-before` only when started with a `before` bundle. */
export type HarnessTarget = "edge-lb" | "edge-lb-before" | "passthrough";

export interface CpuHarness {
  /** Sends `count` requests to the target, `lanes` at a time; resolves with the answers' statuses. */
  drive(target: HarnessTarget, count: number, lanes: number): Promise<{ ok: number; failed: number }>;
  bundlePath: string;
  stop(): Promise<void>;
}

/**
 * Bundles the load balancer, starts the harness and configures the load balancer (bench config).
 * With `before` (another revision's bundle: revision.ts), that load balancer runs beside it as
 * `edge-lb-before`, with its own Durable Objects and the same configuration.
 */
export async function startCpuHarness(
  options: { inspectorPort?: number; before?: string } = {},
): Promise<CpuHarness> {
  const dir = mkdtempSync(join(tmpdir(), "edge-lb-cpu-"));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const removeDir = onCleanup("temporary directory", remove, remove);
  const facts = readWranglerToml();
  const bundlePath = await bundleWorker(join(dir, "bundle"));
  const inspect = options.inspectorPort !== undefined;
  const lbWorker = (name: string, scriptPath: string) => ({
    ...lbWorkerOptions(scriptPath, facts, ADMIN_TOKEN),
    name,
    outboundService: "origin",
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    unsafeInspectorProxy: inspect,
  });
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      ...miniflareBase(join(dir, "state")),
      ...(inspect ? { inspectorPort: options.inspectorPort } : {}),
      workers: [
        lbWorker("edge-lb", bundlePath),
        ...(options.before ? [lbWorker("edge-lb-before", options.before)] : []),
        {
          name: "passthrough",
          modules: true,
          scriptPath: PASSTHROUGH_SCRIPT,
          modulesRoot: dirname(PASSTHROUGH_SCRIPT),
          compatibilityDate: facts.compatibilityDate,
          bindings: { ORIGINS: STUB_ORIGINS },
          outboundService: "origin",
          unsafeInspectorProxy: inspect,
        },
        { name: "origin", modules: true, script: ORIGIN_STUB, compatibilityDate: facts.compatibilityDate },
        {
          name: "driver",
          modules: true,
          script: DRIVER,
          compatibilityDate: facts.compatibilityDate,
          serviceBindings: {
            LB: "edge-lb",
            PASS: "passthrough",
            ...(options.before ? { LB_BEFORE: "edge-lb-before" } : {}),
          },
          unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
        },
      ],
    }),
  );
  const stopMiniflare = onCleanup("workerd (Miniflare, CPU harness)", () => mf.dispose());
  await mf.ready;
  const lbUrl = (await mf.unsafeGetDirectURL("edge-lb")).origin;
  const driverUrl = (await mf.unsafeGetDirectURL("driver")).origin;
  let problem = await seedAndVerify(lbUrl, STUB_ORIGINS);
  if (!problem && options.before) {
    const beforeUrl = (await mf.unsafeGetDirectURL("edge-lb-before")).origin;
    problem = await seedAndVerify(beforeUrl, STUB_ORIGINS);
  }
  if (problem) {
    await stopMiniflare();
    await removeDir();
    throw new Error(problem);
  }
  return {
    bundlePath,
    async drive(target, count, lanes) {
      const answer = await http(`${driverUrl}/?target=${target}&n=${count}&c=${lanes}`, {
        timeoutMs: 120_000,
      });
      if (answer.status !== 200)
        throw new Error(`driver answered ${answer.status}: ${answer.body.slice(0, 200)}`);
      return JSON.parse(answer.body) as { ok: number; failed: number };
    },
    async stop() {
      await stopMiniflare();
      await removeDir();
    },
  };
}
