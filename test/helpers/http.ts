/**
 * A small HTTP client on `node:http`. Node's `fetch()` silently drops a `Host` header, and the load
 * balancer routes on Host, so every request that names a host goes through here.
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";

export interface SendOptions {
  method?: string;
  /** Path and query, e.g. "/hello?x=1". */
  path?: string;
  /** The Host header; defaults to the target's own "127.0.0.1:<port>". */
  host?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
  /** Give up after this long (the request is aborted and the promise rejects). */
  timeoutMs?: number;
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** A response header as one string (repeated headers joined with ", "), or undefined. */
  header(name: string): string | undefined;
  text(): string;
  /** The body parsed as JSON; throws with the status and body when it is not JSON. */
  json<T = unknown>(): T;
}

function result(status: number, headers: IncomingHttpHeaders, body: Buffer): HttpResult {
  return {
    status,
    headers,
    body,
    header(name) {
      const value = headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(", ") : value;
    },
    text: () => body.toString("utf8"),
    json<T>() {
      try {
        return JSON.parse(body.toString("utf8")) as T;
      } catch {
        throw new Error(`expected JSON, got ${status}: ${body.toString("utf8").slice(0, 500)}`);
      }
    },
  };
}

/**
 * Sends one request to `baseUrl` (e.g. "http://127.0.0.1:8787") and reads the whole response.
 * @example const res = await send(lb.url, { host: "app.test", path: "/" });
 */
export function send(baseUrl: string, options: SendOptions = {}): Promise<HttpResult> {
  const target = new URL(options.path ?? "/", baseUrl);
  const headers: Record<string, string> = { ...options.headers };
  if (options.host !== undefined) headers.host = options.host;
  const body = options.body;
  if (typeof body === "string" || Buffer.isBuffer(body)) {
    headers["content-length"] ??= String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? "GET",
        headers,
        agent: false,
        timeout: options.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve(result(res.statusCode ?? 0, res.headers, Buffer.concat(chunks))));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 30_000} ms`)));
    req.on("error", reject);
    if (body === undefined) req.end();
    else if (typeof body === "string" || Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}
