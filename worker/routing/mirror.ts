/**
 * Which requests a load balancer's `mirror` copies: those of the listed methods, with a body of at
 * most `maxBodyBytes`, in the configured share. Pure: the random draw is an input.
 */
import type { Mirror } from "../config/traffic.ts";

export type MirrorVerdict =
  | "mirror"
  /** The method is not in `methods`. */
  | "method"
  /** Not drawn: outside the configured share. */
  | "sampled_out"
  /** The body is larger than `maxBodyBytes`. */
  | "too_large";

/**
 * Whether to copy a request, judged before it is sent. `declaredBytes` is its Content-Length (0
 * without a body, null when unknown: a streamed body is then measured as it is read).
 * @example mirrorVerdict(lb.mirror, "GET", 0, Math.random) // "mirror" or "sampled_out"
 */
export function mirrorVerdict(
  mirror: Mirror,
  method: string,
  declaredBytes: number | null,
  random: () => number,
): MirrorVerdict {
  if (!mirror.methods.includes(method)) return "method";
  if (declaredBytes !== null && declaredBytes > mirror.maxBodyBytes) return "too_large";
  if (mirror.percent >= 100) return "mirror";
  if (mirror.percent <= 0) return "sampled_out";
  return random() * 100 < mirror.percent ? "mirror" : "sampled_out";
}

/**
 * The declared body size of a request from its Content-Length: 0 without a body, null when the
 * body has no (valid) declared length.
 * @example declaredBodyBytes(request.headers.get("content-length"), request.body !== null)
 */
export function declaredBodyBytes(contentLength: string | null, hasBody: boolean): number | null {
  if (!hasBody) return 0;
  if (contentLength === null) return null;
  const trimmed = contentLength.trim();
  return /^\d{1,15}$/.test(trimmed) ? Number(trimmed) : null;
}
