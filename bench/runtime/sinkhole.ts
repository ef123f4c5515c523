/**
 * Takes the port of a killed origin so the failover benchmark can see whether anything still sends
 * it requests. Every connection is accepted, its request line is read and recorded, and the
 * connection is reset: to the sender this looks like an origin that crashes on every request.
 */
import { createServer, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { onCleanup } from "../lib/cleanup.ts";
import { sleep } from "../lib/stats.ts";

export interface SinkholeHit {
  /** `performance.now()` when the request line arrived. */
  at: number;
  /** The request path ("" when the connection closed before sending one). */
  path: string;
}

export interface Sinkhole {
  readonly hits: readonly SinkholeHit[];
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:`port`, retrying briefly while the dying process still holds it. */
export async function openSinkhole(port: number): Promise<Sinkhole> {
  const hits: SinkholeHit[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.once("data", (chunk: Buffer) => {
      const requestLine = chunk.toString("latin1", 0, Math.min(chunk.length, 2048)).split("\r\n", 1)[0] ?? "";
      hits.push({ at: performance.now(), path: requestLine.split(" ")[1] ?? "" });
      socket.resetAndDestroy();
    });
  });
  for (let attempt = 0; ; attempt++) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => {
          server.off("error", reject);
          resolve();
        });
      });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= 50) throw error;
      await sleep(10);
    }
  }
  const close = onCleanup(`sinkhole on port ${port}`, async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { hits, close };
}
