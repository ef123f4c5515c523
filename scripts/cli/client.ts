/**
 * The CLI's HTTP client for the management API (`/__lb/api/v1`). Every non-2xx answer becomes an
 * `ApiError` carrying the problem JSON, so commands only handle the success path.
 */
import type { Connection } from "./args.ts";

export const API_PATH = "/__lb/api/v1";
const TIMEOUT_MS = 30_000;

export interface FieldError {
  path: string;
  message: string;
}

/** An RFC 9457 problem as the API sends it (fields beyond these are kept but not relied on). */
export interface ProblemBody {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** The API answered with an error status. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: ProblemBody;
  readonly method: string;
  readonly path: string;

  constructor(method: string, path: string, status: number, problem: ProblemBody) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = "ApiError";
    this.method = method;
    this.path = path;
    this.status = status;
    this.problem = problem;
  }
}

/** The API could not be reached at all (refused, DNS, timeout, TLS). */
export class NetworkError extends Error {
  constructor(url: string, cause: unknown) {
    super(`Cannot reach ${url}: ${describeCause(cause)}`);
    this.name = "NetworkError";
  }
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  /** The resource version from the `ETag` header, as sent (quoted), when present. */
  etag: string | undefined;
}

export interface RequestOptions {
  body?: unknown;
  ifMatch?: string;
  query?: Record<string, string | undefined> | Array<[string, string]>;
}

export class ApiClient {
  readonly #connection: Connection;
  readonly #fetch: typeof fetch;

  constructor(connection: Connection, fetchImpl: typeof fetch = fetch) {
    this.#connection = connection;
    this.#fetch = fetchImpl;
  }

  /** The URL of an API path, e.g. `url("/pools")`. */
  url(path: string, query?: RequestOptions["query"]): string {
    const url = new URL(`${this.#connection.endpoint}${API_PATH}${path}`);
    const pairs = Array.isArray(query) ? query : Object.entries(query ?? {});
    for (const [name, value] of pairs) if (value !== undefined) url.searchParams.append(name, value);
    return url.toString();
  }

  async get<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    return this.request<T>("GET", path, options);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = this.url(path, options.query);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#connection.token}`,
      accept: "application/json, application/problem+json",
    };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (options.ifMatch !== undefined) headers["if-match"] = options.ifMatch;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new NetworkError(url, error);
    }
    const text = await response.text();
    const body = parseBody(text);
    if (!response.ok) {
      const problem =
        body && typeof body === "object" && !Array.isArray(body)
          ? (body as ProblemBody)
          : { status: response.status, detail: summarizeText(text, response.statusText) };
      throw new ApiError(method, path, response.status, problem);
    }
    return { status: response.status, body: body as T, etag: response.headers.get("etag") ?? undefined };
  }
}

function parseBody(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function summarizeText(text: string, statusText: string): string {
  const plain = text
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (!plain) return statusText || "no details";
  return plain.length > 200 ? `${plain.slice(0, 200)}...` : plain;
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError") return `no answer within ${TIMEOUT_MS / 1000} s`;
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: string }).code;
    return code ? `${code} (${cause.message})` : cause.message;
  }
  return error.message;
}
