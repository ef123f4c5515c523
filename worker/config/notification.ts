/**
 * The notification (webhook) resource: where events are posted, which ones, in which format, and the
 * write-only secret that signs each delivery (API.md, "Notifications"). Pure: no runtime imports.
 */
import { z } from "zod";
import type { FieldError } from "../http/problem.ts";
import { REDACTED, Slug } from "./fields.ts";
import { issuesToFieldErrors } from "./issue-path.ts";
import { isJsonObject } from "./merge-patch.ts";
import type { Parsed } from "./resources.ts";

/** Every event a notification can ask for; `test` is sent only by `POST /notifications/{id}/test`. */
export const NOTIFICATION_EVENTS = [
  "origin_unhealthy",
  "origin_healthy",
  "origin_ejected",
  "pool_unhealthy",
  "pool_healthy",
  "failover",
  "config_changed",
] as const;
export type NotificationEventType = (typeof NOTIFICATION_EVENTS)[number];

export { REDACTED };

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** https anywhere; http only to localhost or a loopback address. No credentials or fragment. */
const WebhookUrl = z
  .string()
  .max(2048)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: "must be an absolute https:// URL" });
      return;
    }
    const loopback = LOOPBACK_HOSTS.has(url.hostname) || /^127(\.\d{1,3}){3}$/.test(url.hostname);
    if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
      ctx.addIssue({
        code: "custom",
        message: "must be https (http only for localhost or a loopback address)",
      });
    } else if (url.username || url.password) {
      ctx.addIssue({ code: "custom", message: "must not contain credentials" });
    } else if (url.hash) {
      ctx.addIssue({ code: "custom", message: "must not contain a fragment" });
    }
  });

export const NotificationSchema = z
  .strictObject({
    id: Slug.meta({ description: "Unique id (a slug)." }),
    url: WebhookUrl.meta({
      description: "Where events are POSTed: https; http only for localhost or a loopback address.",
    }),
    events: z
      .array(z.enum(NOTIFICATION_EVENTS))
      .max(NOTIFICATION_EVENTS.length)
      .default([])
      .meta({
        description:
          "The event types to send; [] means all: origin_unhealthy, origin_healthy, origin_ejected, " +
          "pool_unhealthy, pool_healthy, failover, config_changed.",
      }),
    format: z.enum(["json", "slack"]).default("json").meta({
      description: 'json: the event as a JSON object; slack: an incoming-webhook body `{ "text": "..." }`.',
    }),
    secret: z
      .string()
      .min(16)
      .max(256)
      .refine((value) => value !== REDACTED, `must be the secret itself, not "${REDACTED}"`)
      .nullable()
      .default(null)
      .meta({
        description:
          'Write-only: signs each delivery (X-Edge-LB-Signature: sha256=<hex HMAC-SHA256 of the body>); read back as "<redacted>".',
      }),
    enabled: z.boolean().default(true).meta({ description: "Whether events are sent." }),
  })
  .meta({ description: "A webhook that receives health, failover and configuration events." });

export type NotificationSpec = z.output<typeof NotificationSchema>;
export type Notification = NotificationSpec & { version: number };

/** Validates a notification in full; `version` is ignored (the server owns it). */
export function parseNotification(input: unknown): Parsed<NotificationSpec> {
  const body = isJsonObject(input) && Object.hasOwn(input, "version") ? { ...input } : input;
  if (isJsonObject(body)) delete body.version;
  const result = NotificationSchema.safeParse(body, { reportInput: true });
  if (!result.success) return { ok: false, errors: issuesToFieldErrors(result.error.issues) as FieldError[] };
  const value = result.data;
  return { ok: true, value: { ...value, events: [...new Set(value.events)] } };
}

/** True when the notification wants events of `type`. */
export function wantsEvent(notification: NotificationSpec, type: string): boolean {
  if (!notification.enabled) return false;
  return notification.events.length === 0 || (notification.events as string[]).includes(type);
}

/**
 * The notification as a token may see it: the secret is never shown; the read token sees the URL
 * without its path and query (an incoming-webhook URL is itself a credential).
 */
export function redactNotification(notification: Notification, access: "read" | "write"): Notification {
  const secret = notification.secret === null ? null : REDACTED;
  if (access === "write") return { ...notification, secret };
  const url = new URL(notification.url);
  const shown = url.pathname === "/" && !url.search ? notification.url : `${url.origin}/${REDACTED}`;
  return { ...notification, url: shown, secret };
}
