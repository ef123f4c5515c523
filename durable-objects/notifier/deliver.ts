/**
 * One delivery of one event to one receiver: the body in the notification's format, the signature
 * when a secret is set, a bounded wait. Never throws; never logs the secret or the URL (an
 * incoming-webhook URL is itself a credential).
 */
import type { NotificationSpec } from "../../worker/config/notification.ts";
import type { NotifierEvent } from "./types.ts";

/** How long a receiver may take to answer before the attempt counts as failed. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** Deliveries are retried for this long after the event, then given up. */
export const RETRY_WINDOW_MS = 24 * 3600_000;
const MAX_BACKOFF_MS = 15 * 60_000;

export interface AttemptResult {
  status: number | null;
  error: string | null;
}

/** The request body of an event in the notification's format. */
export function deliveryBody(format: NotificationSpec["format"], event: NotifierEvent): string {
  if (format === "json") return JSON.stringify(event);
  const where = [event.loadBalancer, event.pool, event.origin].filter(Boolean).join(" / ");
  return JSON.stringify({
    text: `[edge-lb] ${event.type}${where ? ` (${where})` : ""}: ${event.message}`,
  });
}

/** `sha256=<hex HMAC-SHA256 of body with secret>`. */
export async function signature(secret: string, body: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(body)));
  return `sha256=${[...mac].map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

/** POSTs the event; a 2xx answer is a delivery, anything else (or no answer in time) a failure. */
export async function attemptDelivery(
  notification: NotificationSpec,
  event: NotifierEvent,
): Promise<AttemptResult> {
  const body = deliveryBody(notification.format, event);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "edge-lb-notifications",
    "x-edge-lb-event-id": event.id,
    "x-edge-lb-event-type": event.type,
  };
  if (notification.secret) headers["x-edge-lb-signature"] = await signature(notification.secret, body);
  try {
    const response = await fetch(notification.url, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (response.status >= 200 && response.status < 300) return { status: response.status, error: null };
    return { status: response.status, error: `the receiver answered ${response.status}` };
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    if (name === "TimeoutError" || name === "AbortError") {
      return { status: null, error: `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s` };
    }
    return { status: null, error: `could not connect: ${describe(error)}`.slice(0, 300) };
  }
}

/** 2 s, 4 s, 8 s … capped at 15 minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempts, 20));
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // Connection errors may quote the target; keep only the reason.
  return text.replace(/https?:\/\/\S+/g, "<url>");
}
