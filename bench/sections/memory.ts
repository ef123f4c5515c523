/**
 * Memory: the heap one Worker isolate holds with the largest configuration the limits allow, every
 * load balancer and pool touched by a request. The load balancer runs in workerd (Miniflare) with its
 * Durable Objects in a second Worker of the same bundle, so the Worker's isolate holds only what
 * the Worker itself keeps; the heap is read through the V8 inspector (`Runtime.getHeapUsage` after
 * `HeapProfiler.collectGarbage`), used bytes, not process RSS.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import WebSocket from "ws";
import type { ConfigDocumentInput } from "../../worker/config/schema.ts";
import { onCleanup } from "../lib/cleanup.ts";
import { http } from "../lib/http.ts";
import { freePort } from "../lib/ports.ts";
import type { SectionResult } from "../lib/report.ts";
import { startOrigins } from "../runtime/origins.ts";
import { bundleWorker, lbWorkerOptions, miniflareBase, readWranglerToml } from "../runtime/workerd.ts";

const ADMIN_TOKEN = "bench-admin-token";
const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };

/** The largest configuration the limits allow (docs/api.md): 1,000 of each, 10,000 origins. */
export const LIMITS = { pools: 1000, loadBalancers: 1000, origins: 10_000 } as const;

type Shape = "round_robin" | "hash" | "ip_affinity";

/** `pools` pools of `perPool` origins, one load balancer each. */
function largestConfig(origin: string, shape: Shape, pools: number, perPool: number): ConfigDocumentInput {
  return {
    pools: Array.from({ length: pools }, (_, p) => ({
      id: `pool-${p}`,
      algorithm: shape === "hash" ? "hash" : "round_robin",
      ...(shape === "hash" ? { hashOn: "ip" } : {}),
      healthCheck: { enabled: false },
      origins: Array.from({ length: perPool }, (_, o) => ({
        name: `o${o}`,
        address: `${origin}/p${p}/o${o}`,
      })),
    })),
    loadBalancers: Array.from({ length: pools }, (_, p) => ({
      id: `lb-${p}`,
      hostname: `lb-${p}.bench.test`,
      pools: [`pool-${p}`],
      ...(shape === "ip_affinity" ? { sessionAffinity: { type: "ip" } } : {}),
    })),
  } as ConfigDocumentInput;
}

/** One inspector session to a Worker's isolate. */
async function inspect(
  port: number,
  worker: string,
): Promise<{ heapUsed(): Promise<number>; close(): void }> {
  const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
    id: string;
    title?: string;
    webSocketDebuggerUrl: string;
  }[];
  const target = list.find((t) => t.title === worker || t.id.endsWith(worker)) ?? null;
  if (!target)
    throw new Error(`no inspector target "${worker}" among ${list.map((t) => t.title ?? t.id).join(", ")}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  let next = 1;
  const pending = new Map<number, (value: unknown) => void>();
  socket.on("message", (data) => {
    const text = String(data);
    if (text.includes('"HeapProfiler.addHeapSnapshotChunk"')) return;
    const message = JSON.parse(text) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  const call = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  return {
    async heapUsed() {
      // workerd does not answer HeapProfiler.collectGarbage; a heap snapshot collects garbage first.
      await call("HeapProfiler.enable");
      await call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
      // Typed arrays (hash tables) live in backing stores outside the V8 heap proper: count both.
      const usage = (await call("Runtime.getHeapUsage")) as { usedSize: number; backingStorageSize: number };
      return usage.usedSize + usage.backingStorageSize;
    },
    close: () => socket.close(),
  };
}

interface Measured {
  shape: Shape;
  /** Pools (one load balancer each) and origins of the configuration the ConfigStore accepted. */
  pools: number;
  origins: number;
  baseline: number;
  loaded: number;
  isolate: Record<string, number>;
}

async function measure(shape: Shape, originUrl: string, bundle: string, dir: string): Promise<Measured> {
  const facts = readWranglerToml();
  const inspectorPort = await freePort();
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      ...miniflareBase(join(dir, `state-${shape}`)),
      inspectorPort,
      workers: [
        {
          ...lbWorkerOptions(bundle, facts, ADMIN_TOKEN, "edge-lb-state"),
          name: "edge-lb",
          unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
        },
        { ...lbWorkerOptions(bundle, facts, ADMIN_TOKEN), name: "edge-lb-state" },
        // biome-ignore lint/suspicious/noExplicitAny: the worker option shapes are checked by Miniflare at run time.
      ] as any,
    }),
  );
  const stop = onCleanup("workerd (memory)", () => mf.dispose());
  try {
    await mf.ready;
    progress(`${shape}: workerd ready`);
    const url = (await mf.unsafeGetDirectURL("edge-lb")).origin;
    const first = await http(`${url}/__lb/healthz`);
    if (first.status !== 200) throw new Error(`healthz answered ${first.status}`);
    progress(`${shape}: healthz answered`);
    const inspector = await inspect(inspectorPort, "edge-lb");
    progress(`${shape}: inspector attached`);
    const baseline = await inspector.heapUsed();
    progress(`${shape}: baseline heap ${mib(baseline)} MiB; applying the configuration`);
    // The largest configuration the ConfigStore accepts. 1,000 pools and load balancers with their
    // defaults already take more than the 1 MiB document limit, so the search lowers the origins per
    // pool (from 10, the 10,000-origin limit) to one, then the pools, until the store says yes.
    let pools: number = LIMITS.pools;
    let perPool = LIMITS.origins / LIMITS.pools;
    for (;;) {
      const put = await http(`${url}/__lb/api/v1/config`, {
        method: "PUT",
        headers: auth,
        body: JSON.stringify(largestConfig(originUrl, shape, pools, perPool)),
        timeoutMs: 120_000,
      });
      if (put.status === 200) break;
      if (put.status !== 413 || pools <= 50) {
        throw new Error(`PUT /config answered ${put.status}: ${put.body.slice(0, 300)}`);
      }
      if (perPool > 1) perPool--;
      else pools -= 50;
    }
    progress(`${shape}: configuration applied; one request through each load balancer`);
    for (let p = 0; p < pools; p++) {
      const answer = await http(`${url}/x`, {
        host: `lb-${p}.bench.test`,
        headers: { "cf-connecting-ip": `10.0.${p >> 8}.${p & 255}` },
        timeoutMs: 120_000,
      });
      if (p === 0) progress(`${shape}: first request answered ${answer.status}`);
      if (p % 250 === 249) progress(`${shape}: ${p + 1} load balancers touched`);
      if (answer.status >= 500 && p === 0)
        throw new Error(`a proxied request answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    }
    const loaded = await inspector.heapUsed();
    const health = JSON.parse((await http(`${url}/__lb/healthz`, { timeoutMs: 60_000 })).body) as {
      isolate: { memory?: Record<string, number> };
    };
    inspector.close();
    return { shape, baseline, loaded, pools, origins: pools * perPool, isolate: health.isolate.memory ?? {} };
  } finally {
    await stop();
  }
}

function progress(line: string): void {
  process.stderr.write(`memory: ${line}\n`);
}

const MiB = 1024 * 1024;
const mib = (bytes: number) => (bytes / MiB).toFixed(1);
const kib = (bytes: number) => (bytes / 1024).toFixed(1);

export async function runMemory(): Promise<SectionResult> {
  const dir = mkdtempSync(join(tmpdir(), "edge-lb-memory-"));
  const removeDir = onCleanup("temporary directory", () => rmSync(dir, { recursive: true, force: true }));
  const origins = await startOrigins(1);
  try {
    const bundle = await bundleWorker(join(dir, "bundle"));
    progress("bundled");
    const results: Measured[] = [];
    for (const shape of ["round_robin", "hash", "ip_affinity"] as const) {
      results.push(await measure(shape, origins[0]!.url, bundle, dir));
    }
    const rows = results.map((r) => {
      const grown = r.loaded - r.baseline;
      return [
        r.shape,
        mib(r.baseline),
        mib(r.loaded),
        mib(grown),
        String(r.pools),
        kib(grown / r.pools),
        String(r.origins),
        kib(grown / r.origins),
        String(r.isolate.hashTables ?? "?"),
        mib(r.isolate.balancerBytes ?? 0),
      ];
    });
    const roundRobin = results[0]!;
    const hash = results[1]!;
    const perTable = (hash.loaded - roundRobin.loaded) / Math.max(1, hash.isolate.hashTables ?? 1);
    return {
      id: "memory",
      title: "Memory of one Worker isolate",
      method: [
        `The largest configuration the limits allow, found by asking the ConfigStore: pools with one load balancer each, starting at ${LIMITS.pools} pools of ${LIMITS.origins / LIMITS.pools} origins and lowering the origins per pool, then the pools, until the 1 MiB document limit lets it through (1,000 pools and load balancers with their defaults alone exceed it), applied with PUT /config, then one request through every load balancer. The Worker runs in workerd with its Durable Objects in a second Worker of the same bundle, so its isolate holds only what the Worker keeps. Heap used plus array backing stores (after the full collection a heap snapshot makes; workerd does not answer HeapProfiler.collectGarbage) read through the V8 inspector, before the configuration (after one request) and after the traffic.`,
      ],
      tables: [
        {
          columns: [
            "pools are",
            "heap before MiB",
            "heap after MiB",
            "grown MiB",
            "pools (and LBs)",
            "per LB+pool KiB",
            "origins",
            "per origin KiB",
            "hash tables",
            "counted tables MiB",
          ],
          rows,
        },
      ],
      notes: [
        `Per hash table (hash minus round_robin, over the tables built): ${kib(perTable)} KiB; a pool of up to 40 origins has a table of 4,099 slots (8 KiB of Uint16 plus its bookkeeping).`,
        `The balancer budget (8 MiB counted, worker/edge/pool-balancers.ts) held ${hash.isolate.hashTables ?? "?"} of the ${hash.pools} hash tables at the end; the least recently used ones were dropped and are rebuilt by their pool's next request.`,
        "Target: under 32 MiB in every row (a Worker isolate has 128 MB).",
      ],
    };
  } finally {
    for (const origin of origins) await origin.stop();
    await removeDir();
  }
}

if (import.meta.main) {
  const { sectionToText } = await import("../lib/report.ts");
  console.log(sectionToText(await runMemory()));
}
