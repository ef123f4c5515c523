/**
 * A request counts as in flight until its response body has ended or its WebSocket has closed, so
 * least_connections steers around long downloads and open WebSockets, and the health API's
 * `inflight` agrees with what the edge does. A client that goes away mid-download leaves no count.
 */
import { once } from "node:events";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { poolOf, servePool } from "../helpers/admin-client.ts";
import { send } from "../helpers/http.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import { waitFor } from "../helpers/wait.ts";
import { healthOf } from "./health-support.ts";

let lb: TestLoadBalancer;
const HOST = "hold.test";

beforeAll(async () => {
  lb = await startLoadBalancer({ origins: ["h", "i"] });
  await servePool(lb.api, HOST, poolOf("hold", lb.origins, { algorithm: "least_connections" }));
});

afterAll(async () => {
  await lb?.stop();
});

/** Who answers `count` GETs sent one after the other. */
async function answerers(count: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await send(lb.url, { host: HOST, path: `/small/${i}` });
    expect(res.status).toBe(200);
    names.push(res.header("x-origin") ?? "?");
  }
  return names;
}

interface SlowDownload {
  origin: string;
  /** Resolves with the number of bytes once the body has ended. */
  done: Promise<number>;
  abort(): void;
}

/** Starts a download of 8 × 64 KiB, 400 ms apart, and resolves once its headers have arrived. */
function slowDownload(): Promise<SlowDownload> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port: lb.port,
        path: `/download?bytes=${8 * 64_256}&chunkDelayMs=400`,
        headers: { host: HOST },
      },
      (res) => {
        let bytes = 0;
        const done = new Promise<number>((end) => {
          res.on("data", (chunk: Buffer) => {
            bytes += chunk.length;
          });
          res.on("end", () => end(bytes));
          res.on("close", () => end(bytes));
        });
        resolve({ origin: String(res.headers["x-origin"]), done, abort: () => req.destroy() });
      },
    );
    req.on("error", () => undefined);
    req.setTimeout(20_000, () => reject(new Error("download timed out")));
    req.end();
  });
}

describe("in flight until the response is over", () => {
  it("steers around a long download until its body ends, and the health API counts it", async () => {
    const download = await slowDownload();
    const other = download.origin === "h" ? "i" : "h";
    expect(await answerers(10)).toEqual(Array.from({ length: 10 }, () => other));
    await waitFor(
      async () =>
        ((await healthOf(lb.api, "hold"))[download.origin] as { inflight?: number })?.inflight === 1,
      {
        what: "the download counted in the health API",
      },
    );
    expect(await download.done).toBe(8 * 64_256);
    await waitFor(async () => new Set(await answerers(10)).size === 2, {
      what: "both origins again after the download",
    });
  });

  it("steers around an open WebSocket until it closes", async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${lb.port}/chat`, { headers: { host: HOST } });
    const closed = once(socket, "close");
    await once(socket, "open");
    socket.send("ping");
    await once(socket, "message");
    const holder = lb.origins.find((origin) => origin.requests.some((r) => r.path === "/chat"))?.name;
    expect(holder).toBeDefined();
    const other = holder === "h" ? "i" : "h";
    expect(await answerers(10)).toEqual(Array.from({ length: 10 }, () => other));
    await waitFor(
      async () =>
        ((await healthOf(lb.api, "hold"))[holder as string] as { inflight?: number })?.inflight === 1,
      {
        what: "the WebSocket counted in the health API",
      },
    );
    socket.close(1000, "done");
    await closed;
    await waitFor(async () => new Set(await answerers(10)).size === 2, {
      what: "both origins again after the close",
    });
    await waitFor(
      async () =>
        Object.values(await healthOf(lb.api, "hold")).every(
          (o) => (o as { inflight?: number }).inflight === 0,
        ),
      {
        what: "nothing in flight in the health API",
      },
    );
  });

  it("leaves no count behind when the client goes away mid-download", async () => {
    const download = await slowDownload();
    download.abort();
    await download.done;
    await waitFor(async () => new Set(await answerers(10)).size === 2, {
      what: "both origins again after the abort",
    });
    await waitFor(
      async () =>
        Object.values(await healthOf(lb.api, "hold")).every(
          (o) => (o as { inflight?: number }).inflight === 0,
        ),
      {
        what: "nothing in flight in the health API",
      },
    );
  });
});
