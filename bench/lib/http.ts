/**
 * A minimal HTTP client on `node:http` for the management API and the failover load. Node's
 * `fetch()` drops a `Host` header, and the load balancer routes on Host.
 */
import { type Agent, request as httpRequest } from "node:http";

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HttpOptions {
  method?: string;
  host?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  agent?: Agent | false;
}

/**
 * Sends one request and reads the whole answer; rejects on a network error or timeout.
 * @example const res = await http("http://127.0.0.1:8787/__lb/healthz");
 */
export function http(url: string, options: HttpOptions = {}): Promise<HttpAnswer> {
  const target = new URL(url);
  const headers: Record<string, string> = { ...options.headers };
  if (options.host) headers.host = options.host;
  if (options.body !== undefined) headers["content-length"] = String(Buffer.byteLength(options.body));
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? "GET",
        headers,
        agent: options.agent ?? false,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Parses a JSON body, or returns null when it is not JSON. */
export function jsonOrNull<T>(answer: HttpAnswer): T | null {
  try {
    return JSON.parse(answer.body) as T;
  } catch {
    return null;
  }
}
