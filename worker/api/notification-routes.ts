/**
 * Notifications (webhooks): CRUD on `/notifications`, the recent delivery attempts and a test send
 * (API.md, "Notifications"). The Notifier DO keeps them; the secret never leaves it in an answer.
 */
import { type Context, Hono } from "hono";
import type { Notifier } from "../../durable-objects/notifier/index.ts";
import { type Notification, redactNotification } from "../config/notification.ts";
import { countDoCall } from "../edge/do-calls.ts";
import type { Env } from "../env.ts";
import { etag, parseIfMatch } from "../http/preconditions.ts";
import { requireWrite } from "./auth.ts";
import { JSON_TYPES, PATCH_TYPES, readJsonObject } from "./body.ts";
import { limitQuery } from "./config-routes.ts";
import type { ApiEnv } from "./context.ts";
import { unwrap } from "./store.ts";

const COLLECTION = "/notifications";
const ITEM = `${COLLECTION}/:id`;

export const notificationRoutes = new Hono<ApiEnv>();

notificationRoutes.get(COLLECTION, async (c) => {
  const items = await notifier(c.env).list();
  return c.json({ items: items.map((item) => shown(c, item)) });
});

notificationRoutes.post(COLLECTION, requireWrite, async (c) => {
  const input = await readJsonObject(c.req.raw, JSON_TYPES);
  const { resource } = unwrap(await notifier(c.env).create(input));
  c.header("location", `${c.req.path}/${encodeURIComponent(resource.id)}`);
  c.header("etag", etag(resource.version));
  return c.json(shown(c, resource), 201);
});

notificationRoutes.get(ITEM, async (c) => {
  const { resource } = unwrap(await notifier(c.env).get(c.req.param("id")));
  c.header("etag", etag(resource.version));
  return c.json(shown(c, resource));
});

notificationRoutes.put(ITEM, requireWrite, async (c) => {
  const input = await readJsonObject(c.req.raw, JSON_TYPES);
  const ifMatch = parseIfMatch(c.req.header("if-match"));
  const { resource } = unwrap(await notifier(c.env).replace(c.req.param("id"), input, ifMatch));
  c.header("etag", etag(resource.version));
  return c.json(shown(c, resource));
});

notificationRoutes.patch(ITEM, requireWrite, async (c) => {
  const patch = await readJsonObject(c.req.raw, PATCH_TYPES);
  const ifMatch = parseIfMatch(c.req.header("if-match"));
  const { resource } = unwrap(await notifier(c.env).patch(c.req.param("id"), patch, ifMatch));
  c.header("etag", etag(resource.version));
  return c.json(shown(c, resource));
});

notificationRoutes.delete(ITEM, requireWrite, async (c) => {
  const ifMatch = parseIfMatch(c.req.header("if-match"));
  unwrap(await notifier(c.env).remove(c.req.param("id"), ifMatch));
  return c.body(null, 204);
});

notificationRoutes.get(`${ITEM}/deliveries`, async (c) => {
  const limit = c.req.query("limit") === undefined ? 100 : Math.min(limitQuery(c.req.query("limit")), 100);
  const { items, pending } = unwrap(await notifier(c.env).deliveries(c.req.param("id"), limit));
  return c.json({ items, pending });
});

notificationRoutes.post(`${ITEM}/test`, requireWrite, async (c) => {
  const { eventId, delivered, status, error } = unwrap(await notifier(c.env).sendTest(c.req.param("id")));
  return c.json({ eventId, delivered, status, error });
});

function notifier(env: Env): DurableObjectStub<Notifier> {
  countDoCall("admin");
  return env.NOTIFIER.getByName("global");
}

function shown(c: Context<ApiEnv>, notification: Notification): Notification {
  return redactNotification(notification, c.get("access"));
}
