/**
 * Real origin servers on 127.0.0.1 for end-to-end tests and the demo.
 *
 * Every request is answered with a JSON echo of what arrived (`OriginEcho`), so a test can see
 * exactly what the load balancer sent upstream. Knobs: a fixed status, a delay, hanging forever,
 * `stop()` (connections are then refused) and `restart()` on the same port. `/download?bytes=N`
 * streams N deterministic bytes (64 KiB at a time, `&chunkDelayMs=M` apart when given); any path accepts a WebSocket upgrade and echoes its messages.
 * Per request, `?status=<code>` and `?delayMs=<ms>` override the fixed knobs, and `?hold=1` holds the
 * answer until `release()`.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { WebSocketServer } from "ws";

/** What an origin received, as it answers in its JSON body. */
export interface OriginEcho {
  origin: string;
  method: string;
  /** The request path without the query. */
  path: string;
  /** The raw query string without the leading "?", "" when there is none. */
  query: string;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  bodySha256: string;
  bodyBytes: number;
}

export interface OriginKnobs {
  /** Status of every answer (default 200). */
  status?: number;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (the connection stays open until the client gives up or `stop()`). */
  hang?: boolean;
  /** Answer 503 to health probes whose `x-edge-lb-probe-region` names one of these regions. */
  failForRegions?: readonly string[];
}

export interface TestOrigin {
  readonly name: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>`, usable as an origin address. */
  readonly url: string;
  /** Every request received since the start or the last `reset()`, WebSocket upgrades included. */
  readonly requests: readonly OriginEcho[];
  /** How many requests arrived since the start or the last `reset()`. */
  count(): number;
  set(knobs: OriginKnobs): void;
  /** Lets every request held by `?hold=1` answer. */
  release(): void;
  /** Forgets the received requests and restores the knobs given at start. */
  reset(): void;
  /** Closes the listener and destroys open connections: new connections are refused. */
  stop(): Promise<void>;
  /** Listens again on the same port after `stop()`. */
  restart(): Promise<void>;
}

const PATTERN_PERIOD = 251;
/** 256 periods of `i % 251`, so consecutive copies continue the sequence seamlessly. */
const PATTERN = Buffer.from(Array.from({ length: PATTERN_PERIOD * 256 }, (_, i) => i % PATTERN_PERIOD));

function* deterministicChunks(total: number): Generator<Buffer> {
  for (let sent = 0; sent < total; sent += PATTERN.length) {
    yield PATTERN.subarray(0, Math.min(PATTERN.length, total - sent));
  }
}

/** The bytes `/download?bytes=<n>` sends: byte i is `i % 251`. */
export function deterministicBytes(total: number): Buffer {
  return Buffer.concat([...deterministicChunks(total)]);
}

/** Hex sha256 of a buffer. */
export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function headerRecord(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}

function echoOf(name: string, request: IncomingMessage, bodySha256: string, bodyBytes: number): OriginEcho {
  const target = request.url ?? "/";
  const q = target.indexOf("?");
  return {
    origin: name,
    method: request.method ?? "GET",
    path: q === -1 ? target : target.slice(0, q),
    query: q === -1 ? "" : target.slice(q + 1),
    headers: headerRecord(request),
    bodySha256,
    bodyBytes,
  };
}

async function readBody(request: IncomingMessage): Promise<{ sha: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of request) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha: hash.digest("hex"), bytes };
}

function numberParam(params: URLSearchParams, key: string): number | undefined {
  const value = params.get(key);
  if (value === null || value === "") return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/**
 * Starts an origin named `name` on a free loopback port.
 * @example const a = await startOrigin("a"); // a.url === "http://127.0.0.1:41234"
 */
export async function startOrigin(name: string, initial: OriginKnobs = {}): Promise<TestOrigin> {
  let knobs: OriginKnobs = { ...initial };
  const requests: OriginEcho[] = [];
  const sockets = new Set<Socket>();
  let held: (() => void)[] = [];
  const release = () => {
    const waiting = held;
    held = [];
    for (const resolve of waiting) resolve();
  };
  const webSockets = new WebSocketServer({ noServer: true });
  let server: Server | null = null;
  let port = 0;

  webSockets.on("connection", (socket) => {
    socket.on("message", (data, isBinary) => socket.send(data, { binary: isBinary }));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { sha, bytes } = await readBody(request);
    const echo = echoOf(name, request, sha, bytes);
    requests.push(echo);
    const params = new URLSearchParams(echo.query);
    if (knobs.hang) return;
    if (params.get("hold") === "1") await new Promise<void>((resolve) => held.push(resolve));
    const delayMs = numberParam(params, "delayMs") ?? knobs.delayMs ?? 0;
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (response.destroyed) return;
    const region = echo.headers["x-edge-lb-probe-region"];
    const regionFails = region !== undefined && (knobs.failForRegions ?? []).includes(region);
    const status = regionFails ? 503 : (numberParam(params, "status") ?? knobs.status ?? 200);
    if (echo.path === "/download") {
      const total = numberParam(params, "bytes") ?? 0;
      response.writeHead(status, {
        "content-type": "application/octet-stream",
        "content-length": String(total),
        "x-origin": name,
      });
      if (request.method === "HEAD") return void response.end();
      const chunkDelayMs = numberParam(params, "chunkDelayMs") ?? 0;
      if (chunkDelayMs > 0) {
        for (const chunk of deterministicChunks(total)) {
          if (response.destroyed) return;
          response.write(chunk);
          await new Promise((resolve) => setTimeout(resolve, chunkDelayMs));
        }
        response.end();
        return;
      }
      await pipeline(Readable.from(deterministicChunks(total)), response);
      return;
    }
    const body = JSON.stringify(echo);
    response.writeHead(status, {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(body)),
      "x-origin": name,
    });
    response.end(request.method === "HEAD" ? undefined : body);
  }

  function listen(): Promise<void> {
    const next = createServer((request, response) => {
      handle(request, response).catch(() => response.destroy());
    });
    next.on("connection", (socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    next.on("upgrade", (request: IncomingMessage, socket: Socket, head: Buffer) => {
      requests.push(echoOf(name, request, sha256(""), 0));
      if (knobs.hang) return;
      webSockets.handleUpgrade(request, socket, head, (ws) => webSockets.emit("connection", ws, request));
    });
    return new Promise((resolve, reject) => {
      next.once("error", reject);
      next.listen(port, "127.0.0.1", () => {
        next.off("error", reject);
        const address = next.address();
        if (address && typeof address === "object") port = address.port;
        server = next;
        resolve();
      });
    });
  }

  await listen();

  return {
    name,
    get port() {
      return port;
    },
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    requests,
    count: () => requests.length,
    set(next) {
      knobs = { ...knobs, ...next };
    },
    release,
    reset() {
      requests.length = 0;
      knobs = { ...initial };
    },
    async stop() {
      const current = server;
      if (!current) return;
      server = null;
      release();
      const closed = new Promise<void>((resolve) => current.close(() => resolve()));
      for (const client of webSockets.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    async restart() {
      if (!server) await listen();
    },
  };
}

/**
 * Starts one origin per name.
 * @example const [a, b] = await startOrigins(["a", "b"]);
 */
export function startOrigins(names: readonly string[], knobs: OriginKnobs = {}): Promise<TestOrigin[]> {
  return Promise.all(names.map((name) => startOrigin(name, knobs)));
}

/** Stops every origin given (skipping missing ones), e.g. in `afterAll`. */
export async function stopOrigins(origins: readonly (TestOrigin | undefined)[]): Promise<void> {
  await Promise.all(origins.map((origin) => origin?.stop()));
}
