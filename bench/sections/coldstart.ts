/**
 * Section "coldstart": the bundle's size, and what a fresh workerd process with the load balancer
 * costs before and for its first proxied request, next to a hello-world Worker started the same
 * way. The load balancer's configuration is stored once (its Durable Object state persists between
 * the boots), so every boot's first request is a proxied GET that reaches an origin.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { onCleanup } from "../lib/cleanup.ts";
import { http } from "../lib/http.ts";
import type { SectionResult } from "../lib/report.ts";
import { fmt, median } from "../lib/stats.ts";
import { STUB_ORIGINS } from "../runtime/cpu-harness.ts";
import { ADMIN_TOKEN, LB_HOST, seedAndVerify } from "../runtime/lb-admin.ts";
import { cpuMs, workerdPid } from "../runtime/process-cpu.ts";
import { bundleWorker, lbWorkerOptions, miniflareBase, readWranglerToml } from "../runtime/workerd.ts";

/** Stand-ins for the runtime's modules, so Node can evaluate the bundle's top level. */
const RUNTIME_STUB = `export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }
export function connect() { throw new Error("not in Node"); }`;

/** Evaluates the module at argv[2] and prints the CPU ms and wall ms it took. */
const TIME_IMPORT = `const cpu = process.cpuUsage(); const wall = performance.now();
await import(process.argv[1]);
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - wall }));`;

/**
 * CPU time of compiling and evaluating the bundle's top level in a fresh Node process (V8, as in
 * workerd), with the runtime's modules stubbed; median of `runs` processes.
 */
function topLevelCpuMs(bundle: string, dir: string, runs: number): number {
  const stub = join(dir, "runtime-stub.mjs");
  writeFileSync(stub, RUNTIME_STUB);
  const module = join(dir, "bundle-in-node.mjs");
  writeFileSync(
    module,
    readFileSync(bundle, "utf8").replace(
      /from "cloudflare:(workers|sockets)"/g,
      `from ${JSON.stringify(stub)}`,
    ),
  );
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", TIME_IMPORT, module], {
      encoding: "utf8",
    });
    samples.push((JSON.parse(out.trim().split("\n").pop() ?? "{}") as { cpuMs: number }).cpuMs);
  }
  return median(samples);
}

const HELLO = `export default { fetch() { return new Response("hello"); } };`;
const ORIGIN_STUB = `export default { fetch(request) { return new Response("origin ok", { headers: { "x-origin": new URL(request.url).hostname } }); } };`;

interface Boot {
  /** From creating the process until workerd listens (ms). */
  readyMs: number;
  /** From creating the process until the first response is complete (ms). */
  firstResponseMs: number;
  /** CPU time of the workerd process when it listens, and after the first response (ms). */
  readyCpuMs: number;
  firstCpuMs: number;
}

/** Runs the section. */
export async function runColdStart(options: { quick: boolean }): Promise<SectionResult> {
  const dir = mkdtempSync(join(tmpdir(), "edge-lb-cold-"));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  onCleanup("temporary directory", remove, remove);
  const bundle = await bundleWorker(join(dir, "bundle"));
  const code = readFileSync(bundle);
  const facts = readWranglerToml();
  const state = join(dir, "state");
  const origin = {
    name: "origin",
    modules: true,
    script: ORIGIN_STUB,
    compatibilityDate: facts.compatibilityDate,
  };
  const lb = {
    ...lbWorkerOptions(bundle, facts, ADMIN_TOKEN),
    name: "edge-lb",
    outboundService: "origin",
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  };
  const hello = {
    name: "hello",
    modules: true,
    script: HELLO,
    compatibilityDate: facts.compatibilityDate,
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  };
  const create = (worker: Record<string, unknown>) =>
    new Miniflare(
      convertV4MiniflareOptions({
        ...miniflareBase(state),
        // biome-ignore lint/suspicious/noExplicitAny: the worker option shapes are checked by Miniflare at run time.
        workers: [worker, origin] as any,
      }),
    );

  // Store the configuration once.
  const seeding = create(lb);
  const stopSeeding = onCleanup("workerd (seeding)", () => seeding.dispose());
  await seeding.ready;
  const problem = await seedAndVerify((await seeding.unsafeGetDirectURL("edge-lb")).origin, STUB_ORIGINS);
  await stopSeeding();
  if (problem) throw new Error(problem);

  const boot = async (worker: Record<string, unknown>, host?: string): Promise<Boot> => {
    const started = performance.now();
    const mf = create(worker);
    const stop = onCleanup("workerd (cold start)", () => mf.dispose());
    await mf.ready;
    const readyMs = performance.now() - started;
    const pid = workerdPid();
    const readyCpuMs = pid === null ? Number.NaN : cpuMs(pid);
    const url = (await mf.unsafeGetDirectURL(String(worker.name))).origin;
    const answer = await http(`${url}/`, host ? { host } : {});
    const firstResponseMs = performance.now() - started;
    const firstCpuMs = pid === null ? Number.NaN : cpuMs(pid);
    await stop();
    if (answer.status !== 200)
      throw new Error(`first request to ${String(worker.name)} answered ${answer.status}`);
    return { readyMs, firstResponseMs, readyCpuMs, firstCpuMs };
  };

  const rounds = options.quick ? 2 : 5;
  const boots: { hello: Boot[]; lb: Boot[] } = { hello: [], lb: [] };
  for (let round = 0; round < rounds; round++) {
    // ABBA across rounds, so drift of the shared machine hits both alike.
    const order = round % 2 === 0 ? (["hello", "lb"] as const) : (["lb", "hello"] as const);
    for (const which of order) {
      boots[which].push(which === "lb" ? await boot(lb, LB_HOST) : await boot(hello));
    }
  }
  const row = (label: string, list: Boot[]) => [
    label,
    fmt(median(list.map((b) => b.readyMs))),
    fmt(median(list.map((b) => b.firstResponseMs))),
    fmt(median(list.map((b) => b.firstResponseMs - b.readyMs))),
    fmt(median(list.map((b) => b.readyCpuMs))),
    fmt(median(list.map((b) => b.firstCpuMs))),
  ];
  const topLevel = topLevelCpuMs(bundle, dir, rounds);
  const diff = (pick: (b: Boot) => number) => median(boots.lb.map(pick)) - median(boots.hello.map(pick));
  remove();
  return {
    id: "coldstart",
    title: "6. Cold start and bundle size",
    method: [
      "The bundle is what `wrangler deploy --dry-run` writes (gzip at zlib's default level). Each boot " +
        "starts a fresh workerd process through Miniflare with one Worker (and a stub origin Worker " +
        "that answers every outbound fetch), waits until it listens, then sends one request: for the " +
        "load balancer a proxied GET (its configuration is stored in its Durable Object's state, kept " +
        "between boots), for the hello-world Worker a GET. workerd compiles the Worker and runs its " +
        "top-level code before it listens, so the CPU time of the process when it listens, minus the " +
        "hello-world Worker's, is the cost of loading the bundle. " +
        `${rounds} boots each, alternating; medians. The bundle's top-level CPU is also measured ` +
        "alone: a fresh Node process (same V8) imports it with the `cloudflare:` modules stubbed, " +
        "timed with `process.cpuUsage()`, median of as many processes.",
    ],
    tables: [
      {
        caption: "bundle",
        columns: ["file", "bytes", "gzip bytes", "top-level CPU ms (compile + evaluate, Node)"],
        rows: [["index.js", String(code.length), String(gzipSync(code).length), fmt(topLevel)]],
      },
      {
        caption: "fresh process, median of boots",
        columns: [
          "Worker",
          "to listening ms",
          "to first response ms",
          "first request ms",
          "CPU ms at listening",
          "CPU ms after first response",
        ],
        rows: [row("hello world", boots.hello), row("Edge LB", boots.lb)],
      },
      {
        caption: "Edge LB minus hello world",
        columns: ["to first response ms", "first request ms", "CPU ms at listening (loading the bundle)"],
        rows: [
          [
            fmt(diff((b) => b.firstResponseMs)),
            fmt(diff((b) => b.firstResponseMs - b.readyMs)),
            fmt(diff((b) => b.readyCpuMs)),
          ],
        ],
      },
    ],
    notes: [],
  };
}
