/**
 * The management API as the browser sees it: every call carries the token as a bearer header (never
 * in the URL), a 401 ends the session, and endpoints the server does not offer read as "not available".
 */

export const API = "/__lb/api/v1";
const UNAVAILABLE = new Set([404, 405, 501]);

/** The token was refused: the page goes back to the sign-in form. */
export class AuthError extends Error {}

/** One answer: the parsed body when it succeeded, otherwise why not. */
export type Result<T = unknown> =
  | { ok: true; body: T }
  | { ok: false; unavailable?: boolean; error: string; status?: number; body?: unknown };

function detailOf(parsed: unknown, fallback: string): string {
  if (parsed && typeof parsed === "object" && "detail" in parsed && typeof parsed.detail === "string") {
    return parsed.detail;
  }
  return fallback;
}

/** Sends one request; JSON bodies are parsed, anything else (the metrics text) stays text. */
export async function request<T = unknown>(
  path: string,
  token: string,
  init: { accept?: string; method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Result<T>> {
  let response: Response;
  const headers: Record<string, string> = {
    ...init.headers,
    authorization: `Bearer ${token}`,
    accept: init.accept ?? "application/json",
  };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  try {
    response = await fetch(path, {
      method: init.method ?? "GET",
      headers,
      cache: "no-store",
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  } catch {
    return { ok: false, error: "cannot reach the API" };
  }
  if (response.status === 401) throw new AuthError("The token was not accepted.");
  const raw = await response.text();
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // Not JSON (the metrics text): keep the text as it is.
  }
  if (response.ok) return { ok: true, body: parsed as T };
  if (UNAVAILABLE.has(response.status)) {
    return { ok: false, unavailable: true, error: "not available", status: response.status, body: parsed };
  }
  return {
    ok: false,
    error: `${response.status} ${detailOf(parsed, response.statusText)}`,
    status: response.status,
    body: parsed,
  };
}

/** A GET of a path under `/__lb/api/v1`. */
export function api<T = unknown>(path: string, token: string): Promise<Result<T>> {
  return request<T>(API + path, token);
}

/** The list in an answer: the body itself, its `items`, or its `key` field. */
export function itemsOf<T>(body: unknown, key?: string): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === "object") {
    const record = body as Record<string, unknown>;
    if (Array.isArray(record.items)) return record.items as T[];
    if (key && Array.isArray(record[key])) return record[key] as T[];
  }
  return [];
}
