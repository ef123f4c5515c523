/**
 * CRUD for pools and load balancers: the two kinds behave the same way over HTTP, so one set of
 * routes serves both (`/pools` and `/load_balancers`).
 */
import { type Context, Hono } from "hono";
import { KIND_COLLECTION, type ResourceKind } from "../config/resources.ts";
import { etag, parseIfMatch } from "../http/preconditions.ts";
import { requireWrite } from "./auth.ts";
import { JSON_TYPES, PATCH_TYPES, readJsonObject } from "./body.ts";
import { type ApiEnv, writerRole } from "./context.ts";
import { resourceFor } from "./redact.ts";
import { configStore, installSnapshot, unwrap } from "./store.ts";

/**
 * The routes of one kind, mounted at the API base.
 * @example api.route("/", resourceRoutes("pool")) // "/pools" and "/pools/:id"
 */
export function resourceRoutes(kind: ResourceKind): Hono<ApiEnv> {
  const collection = `/${KIND_COLLECTION[kind]}`;
  const item = `${collection}/:id`;
  const routes = new Hono<ApiEnv>();

  routes.get(collection, async (c) => {
    const { version, items } = await configStore(c.env).listResources(kind);
    c.header("etag", etag(version));
    return c.json({ items: items.map((resource) => resourceFor(c.var.access, kind, resource)) });
  });

  routes.post(collection, requireWrite, async (c) => {
    const input = await readJsonObject(c.req.raw, JSON_TYPES);
    const { resource, snapshot } = unwrap(
      await configStore(c.env).createResource(kind, input, writerRole(c.var.access)),
    );
    await installSnapshot(c.env, snapshot);
    // The request path is the collection's full path (the API base included).
    c.header("location", `${c.req.path}/${encodeURIComponent(resource.id)}`);
    c.header("etag", etag(resource.version));
    return c.json(resource, 201);
  });

  routes.get(item, async (c) => {
    const { resource } = unwrap(await configStore(c.env).getResource(kind, pathId(c)));
    const tag = etag(resource.version);
    if (matchesIfNoneMatch(c.req.header("if-none-match"), tag)) {
      return c.body(null, 304, { etag: tag });
    }
    c.header("etag", tag);
    return c.json(resourceFor(c.var.access, kind, resource));
  });

  /** PUT replaces, PATCH merges: otherwise the same write, If-Match honoured, the new ETag sent. */
  const update =
    (write: "replaceResource" | "patchResource", accepted: readonly string[]) =>
    async (c: Context<ApiEnv>) => {
      const input = await readJsonObject(c.req.raw, accepted);
      const ifMatch = parseIfMatch(c.req.header("if-match"));
      const store = configStore(c.env);
      const result = await store[write](kind, pathId(c), input, ifMatch, writerRole(c.var.access));
      const { resource, snapshot } = unwrap(result);
      await installSnapshot(c.env, snapshot);
      c.header("etag", etag(resource.version));
      return c.json(resource);
    };
  routes.put(item, requireWrite, update("replaceResource", JSON_TYPES));
  routes.patch(item, requireWrite, update("patchResource", PATCH_TYPES));

  routes.delete(item, requireWrite, async (c) => {
    const ifMatch = parseIfMatch(c.req.header("if-match"));
    const { snapshot } = unwrap(
      await configStore(c.env).deleteResource(kind, pathId(c), ifMatch, writerRole(c.var.access)),
    );
    await installSnapshot(c.env, snapshot);
    return c.body(null, 204);
  });

  return routes;
}

/** The `{id}` of the path, percent-decoded. */
function pathId(c: Context<ApiEnv>): string {
  return c.req.param("id") ?? "";
}

/** True when an `If-None-Match` header names `tag` (weakly) or is `*`. */
function matchesIfNoneMatch(header: string | undefined, tag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((candidate) => candidate.trim().replace(/^W\//, "") === tag);
}
