/**
 * Runs in Node before the workerd tests: starts a tiny origin on a free loopback port that code
 * inside workerd can reach (workerd tests cannot start servers themselves) and provides its port as
 * `probeOriginPort`. Routes:
 *
 * - `/status/<code>`: answers with that status and the body `status <code>`
 * - `/redirect`: 302 to `/status/200`
 * - `/redirect-to?to=<url>`: 302 to that URL
 * - `/secret-check`: 200 `no secret` without an `x-probe-secret` header, 400 `secret received` with one
 * - `/echo`: 200 with the request's method, path and headers as JSON
 * - `/bytes/<n>`: 200 with a body of n bytes and its Content-Length
 * - `/read`: reads the whole request body, then answers 200 `read <bytes>`
 * - `/slow` (and below it): answers after 5 s (for timeouts)
 * - `/region-fails/<r1,r2,...>` (and below it): 503 to a health probe whose `x-edge-lb-probe-region`
 *   is one of those regions, else 200 `region-fails <r1,r2,...>` (for `healthCheck.regions`)
 * - `POST /hook/<name>`: 200, and keeps the request's headers and body; `GET /hook/<name>` lists them
 * - anything else: 200 `ok`
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    probeOriginPort: number;
  }
}

/** What `POST /hook/<name>` received, per name. */
const hooks = new Map<string, { headers: IncomingMessage["headers"]; body: string }[]>();

function hook(name: string, request: IncomingMessage, response: ServerResponse): void {
  if (request.method !== "POST") {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(hooks.get(name) ?? []));
    return;
  }
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const list = hooks.get(name) ?? [];
    list.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
    hooks.set(name, list);
    response.writeHead(200, { "content-type": "text/plain" });
    response.end("ok");
  });
}

function answer(request: IncomingMessage, response: ServerResponse): void {
  const path = (request.url ?? "/").split("?")[0] ?? "/";
  const hookName = /^\/hook\/([\w-]+)$/.exec(path)?.[1];
  if (hookName) {
    hook(hookName, request, response);
    return;
  }
  const status = /^\/status\/(\d{3})$/.exec(path);
  if (status) {
    response.writeHead(Number(status[1]), { "content-type": "text/plain" });
    response.end(`status ${status[1]}`);
  } else if (/^\/bytes\/\d{1,7}$/.test(path)) {
    const length = Number(path.slice("/bytes/".length));
    response.writeHead(200, { "content-type": "application/octet-stream", "content-length": length });
    response.end(Buffer.alloc(length, 97));
  } else if (path === "/redirect") {
    response.writeHead(302, { location: "/status/200" });
    response.end();
  } else if (path === "/redirect-to") {
    const to = new URL(request.url ?? "/", "http://127.0.0.1").searchParams.get("to") ?? "/";
    response.writeHead(302, { location: to });
    response.end();
  } else if (path === "/secret-check") {
    const received = request.headers["x-probe-secret"] !== undefined;
    response.writeHead(received ? 400 : 200, { "content-type": "text/plain" });
    response.end(received ? "secret received" : "no secret");
  } else if (path === "/echo") {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ method: request.method, path: request.url, headers: request.headers }));
  } else if (path === "/read") {
    let bytes = 0;
    request.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
    });
    request.on("end", () => {
      response.writeHead(200, { "content-type": "text/plain" });
      response.end(`read ${bytes}`);
    });
  } else if (/^\/region-fails\/[a-z,]+(\/.*)?$/.test(path)) {
    const regions = (path.split("/")[2] ?? "").split(",");
    const from = request.headers["x-edge-lb-probe-region"];
    const fails = typeof from === "string" && regions.includes(from);
    response.writeHead(fails ? 503 : 200, { "content-type": "text/plain" });
    response.end(fails ? `failing for ${from}` : `region-fails ${regions.join(",")}`);
  } else if (path === "/slow" || path.startsWith("/slow/")) {
    const timer = setTimeout(() => response.end("late"), 5000);
    response.on("close", () => clearTimeout(timer));
  } else {
    response.writeHead(200, { "content-type": "text/plain" });
    response.end("ok");
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  project.provide("probeOriginPort", (server.address() as AddressInfo).port);
  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
