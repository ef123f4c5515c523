/**
 * The isolate's session-affinity signing key: from `AFFINITY_SECRET` when it is set, else the random
 * key the ConfigStore generated once and keeps (one DO call per isolate, then held here). Never
 * derived from a credential. Per-isolate state, so it lives in worker/edge.
 */
import { importAffinityKey } from "../affinity/cookie.ts";
import type { Env } from "../env.ts";
import { countDoCall } from "./do-calls.ts";

/** After a failed fetch of the stored key, the next try waits this long (cookies are ignored meanwhile). */
const RETRY_AFTER_MS = 5000;

let fromSecret: { secret: string; key: Promise<CryptoKey> } | null = null;
let stored: Promise<CryptoKey> | null = null;
let failedAt = Number.NEGATIVE_INFINITY;

/**
 * The key for affinity cookies, or null while it cannot be had (the ConfigStore unreachable): the
 * request is then balanced as without affinity, its cookie neither read nor written.
 * @example const key = await affinitySigningKey(env, Date.now());
 */
export async function affinitySigningKey(
  env: Pick<Env, "AFFINITY_SECRET" | "CONFIG_STORE">,
  now: number,
): Promise<CryptoKey | null> {
  const secret = env.AFFINITY_SECRET;
  if (secret) {
    if (fromSecret?.secret !== secret) {
      fromSecret = { secret, key: importAffinityKey(new TextEncoder().encode(secret)) };
    }
    return fromSecret.key;
  }
  if (stored === null) {
    if (now - failedAt < RETRY_AFTER_MS) return null;
    stored = loadStoredKey(env);
  }
  try {
    return await stored;
  } catch (error) {
    stored = null;
    failedAt = now;
    console.log(JSON.stringify({ event: "affinity_key_unavailable", error: String(error) }));
    return null;
  }
}

async function loadStoredKey(env: Pick<Env, "CONFIG_STORE">): Promise<CryptoKey> {
  countDoCall("config");
  const encoded = await env.CONFIG_STORE.getByName("global").affinityKey();
  const binary = atob(encoded.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return importAffinityKey(bytes);
}
