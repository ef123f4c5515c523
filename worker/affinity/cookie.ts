/**
 * The signed session-affinity cookie. Uses only WebCrypto (`crypto.subtle`), present in workerd and
 * Node alike, so it is tested in plain Node.
 *
 * Value: `base64url(payload) "." base64url(HMAC-SHA256(payload))`, payload
 * `1|<loadBalancerId>|<poolId>|<originName>|<expiresAtSeconds>`. None of the ids may contain `|`
 * (slugs and origin names are restricted by the schema). The signature is checked with
 * `crypto.subtle.verify`, which compares in constant time; a cookie that is malformed, forged,
 * altered, expired or issued by another load balancer decodes to null and is ignored, never trusted.
 * The payload is signed, not encrypted: a client can read which origin it is pinned to.
 */

const VERSION = "1";
const SEPARATOR = "|";
/** Cookie values longer than this are not ours (ids are at most 63 characters each). */
const MAX_VALUE_LENGTH = 512;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** What a valid affinity cookie says. */
export interface AffinityPin {
  readonly loadBalancerId: string;
  readonly poolId: string;
  readonly origin: string;
  /** Expiry, epoch milliseconds (whole seconds). */
  readonly expiresAt: number;
}

/**
 * Imports the HMAC-SHA256 key that signs affinity cookies from its secret material: the bytes of
 * `AFFINITY_SECRET` when it is set, otherwise the random key the ConfigStore generated once and keeps
 * (worker/edge/affinity-key.ts). The key never comes from a credential such as `ADMIN_TOKEN`: a
 * cookie would then expose that credential to offline guessing, and rotating it would end every
 * session.
 * @example const key = await importAffinityKey(new TextEncoder().encode(env.AFFINITY_SECRET));
 */
export function importAffinityKey(material: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", new Uint8Array(material), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

/**
 * Signs a pin into a cookie value. `expiresAt` (epoch ms) is rounded down to whole seconds.
 * @example await signAffinityCookie(key, { loadBalancerId: "www", poolId: "web", origin: "eu-1", expiresAt })
 */
export async function signAffinityCookie(key: CryptoKey, pin: AffinityPin): Promise<string> {
  for (const part of [pin.loadBalancerId, pin.poolId, pin.origin]) {
    if (part.length === 0 || part.includes(SEPARATOR)) throw new RangeError(`invalid affinity id "${part}"`);
  }
  const seconds = Math.floor(pin.expiresAt / 1000);
  const payload = encoder.encode(
    [VERSION, pin.loadBalancerId, pin.poolId, pin.origin, String(seconds)].join(SEPARATOR),
  );
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, payload));
  return `${toBase64Url(payload)}.${toBase64Url(signature)}`;
}

/**
 * Verifies a cookie value for `loadBalancerId` at time `now` (epoch ms). Returns the pin, or null for
 * anything that is not a valid, unexpired cookie of this load balancer.
 * @example const pin = await verifyAffinityCookie(key, value, { loadBalancerId: "www", now: Date.now() });
 */
export async function verifyAffinityCookie(
  key: CryptoKey,
  value: string | null | undefined,
  expected: { readonly loadBalancerId: string; readonly now: number },
): Promise<AffinityPin | null> {
  if (!value || value.length > MAX_VALUE_LENGTH) return null;
  const dot = value.indexOf(".");
  if (dot <= 0 || dot !== value.lastIndexOf(".")) return null;
  const payload = fromBase64Url(value.slice(0, dot));
  const signature = fromBase64Url(value.slice(dot + 1));
  if (!payload || !signature || signature.length !== 32) return null;
  if (!(await crypto.subtle.verify("HMAC", key, signature, payload))) return null;
  let text: string;
  try {
    text = decoder.decode(payload);
  } catch {
    return null;
  }
  const parts = text.split(SEPARATOR);
  if (parts.length !== 5 || parts[0] !== VERSION) return null;
  const [, loadBalancerId, poolId, origin, seconds] = parts as [string, string, string, string, string];
  if (!loadBalancerId || !poolId || !origin || !/^\d{1,15}$/.test(seconds)) return null;
  const expiresAt = Number(seconds) * 1000;
  if (loadBalancerId !== expected.loadBalancerId || expiresAt <= expected.now) return null;
  return { loadBalancerId, poolId, origin, expiresAt };
}

/**
 * Whether a pin honoured now should be re-issued: past half its lifetime, so an active session keeps
 * its pin without a `Set-Cookie` on every response.
 * @example shouldRefreshPin(pin, Date.now(), lb.sessionAffinity.ttlSeconds)
 */
export function shouldRefreshPin(pin: AffinityPin, now: number, ttlSeconds: number): boolean {
  return pin.expiresAt - now < (ttlSeconds * 1000) / 2;
}

/**
 * The `Set-Cookie` header value for an affinity cookie: HttpOnly, SameSite=Lax, Max-Age=ttl, Path
 * (default `/`; a load balancer's path prefix keeps the cookies of load balancers that share a
 * hostname apart), and Secure when the client connection is https.
 * @example affinitySetCookie("__lb", value, { ttlSeconds: 82800, secure: url.protocol === "https:" })
 */
export function affinitySetCookie(
  name: string,
  value: string,
  options: { readonly ttlSeconds: number; readonly secure: boolean; readonly path?: string | undefined },
): string {
  const maxAge = Math.max(0, Math.floor(options.ttlSeconds));
  const secure = options.secure ? " Secure;" : "";
  const path = options.path && /^\/[\x21-\x3a\x3c-\x7e]*$/.test(options.path) ? options.path : "/";
  return `${name}=${value}; Max-Age=${maxAge}; Path=${path}; HttpOnly;${secure} SameSite=Lax`;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Strict base64url without padding; null on anything else (including non-canonical trailing bits). */
function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return null;
  let binary: string;
  try {
    binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return null;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return toBase64Url(bytes) === text ? bytes : null;
}
