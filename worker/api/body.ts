/**
 * Reading a JSON request body under the API's limits: a JSON content type (415 otherwise), at most
 * 1 MiB whether or not `Content-Length` is sent (413), valid UTF-8 and JSON, bounded nesting, and a
 * JSON object at the top (400 otherwise).
 */
import { jsonSyntaxError } from "../http/json-syntax.ts";
import { ProblemError, problemType } from "../http/problem.ts";

export const MAX_BODY_BYTES = 1024 * 1024;
/** Deeper documents are refused before anything recurses over them. */
export const MAX_JSON_DEPTH = 64;

export const JSON_TYPES = ["application/json"] as const;
export const PATCH_TYPES = ["application/merge-patch+json", "application/json"] as const;

/**
 * The body as a JSON object.
 * @example const input = await readJsonObject(c.req.raw, JSON_TYPES);
 */
export async function readJsonObject(
  request: Request,
  accepted: readonly string[],
): Promise<Record<string, unknown>> {
  checkContentType(request, accepted);
  const length = request.headers.get("content-length");
  if (length !== null && /^\d+$/.test(length.trim()) && Number(length) > MAX_BODY_BYTES) tooLarge();
  const text = decode(await readLimited(request));
  if (text.trim() === "") throw badBody("The request body is empty; send a JSON object.");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badBody(`The request body is not valid JSON: ${jsonSyntaxError(error)}`);
  }
  if (jsonDepthExceeds(value, MAX_JSON_DEPTH)) {
    throw badBody(`The request body nests deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badBody(`The request body must be a JSON object, not ${describeJson(value)}.`);
  }
  return value as Record<string, unknown>;
}

function checkContentType(request: Request, accepted: readonly string[]): void {
  const header = request.headers.get("content-type");
  const mediaType = header?.split(";")[0]?.trim().toLowerCase() ?? "";
  if (!accepted.includes(mediaType)) {
    const list = accepted.join(" or ");
    throw new ProblemError(
      415,
      header ? `Content-Type "${header}" is not supported here; send ${list}.` : `Send the body as ${list}.`,
      accepted === PATCH_TYPES ? { headers: { "accept-patch": PATCH_TYPES.join(", ") } } : {},
    );
  }
}

async function readLimited(request: Request): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function decode(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw badBody("The request body is not valid UTF-8.");
  }
}

/** True when `value` nests objects or arrays more than `max` levels deep (checked without recursion). */
export function jsonDepthExceeds(value: unknown, max: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    if (typeof item.value !== "object" || item.value === null) continue;
    const depth = item.depth + 1;
    if (depth > max) return true;
    for (const child of Object.values(item.value)) stack.push({ value: child, depth });
  }
  return false;
}

function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

function badBody(detail: string): ProblemError {
  return new ProblemError(400, detail, { type: problemType("invalid-body") });
}

function tooLarge(): never {
  throw new ProblemError(413, `The request body is larger than ${MAX_BODY_BYTES} bytes (1 MiB).`);
}
