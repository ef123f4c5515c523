/**
 * Edge LB ids for Cloudflare objects. Cloudflare names pools and load balancers with hex ids;
 * Edge LB with slugs a person can type, so each id is derived from the object's name. The mapping
 * depends on nothing but the names and ids: importing the same objects again, in any order and
 * next to any others, gives the same ids, except where two names share a slug. Those all carry a
 * piece of their Cloudflare id, so none of them is the plain slug that one of them would otherwise
 * get by being listed first. Pure.
 */
import { ORIGIN_NAME_PATTERN, SLUG_PATTERN } from "../../../worker/config/fields.ts";

const MAX_SLUG = 63;

/**
 * The slug a name reads as: lower case, runs of anything but a-z, 0-9, "-" and "_" become one "-",
 * trimmed to 63 characters; "" when nothing is left.
 * @example slugOf("www.Example.com") // "www-example-com"
 */
export function slugOf(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[-_]+/, "")
    .slice(0, MAX_SLUG)
    .replace(/[-_]+$/, "");
  return SLUG_PATTERN.test(slug) ? slug : "";
}

export interface Named {
  /** Cloudflare's id; may be empty when the document leaves it out. */
  readonly cloudflareId: string;
  readonly name: string;
}

/**
 * One distinct slug per item, in input order. `fallback` names items whose name gives no slug.
 * @example assignIds([{ cloudflareId: "17b5962d", name: "primary-dc-1" }], "pool") // ["primary-dc-1"]
 */
export function assignIds(items: readonly Named[], fallback: string): string[] {
  const bases = items.map((item) => slugOf(item.name) || fallback);
  const counts = new Map<string, number>();
  for (const base of bases) counts.set(base, (counts.get(base) ?? 0) + 1);
  const taken = new Set<string>();
  return items.map((item, i) => {
    const base = bases[i]!;
    let id = base;
    if (counts.get(base)! > 1) {
      const tag = slugOf(item.cloudflareId).slice(0, 8) || String(i + 1);
      id = withSuffix(base, tag);
    }
    // Two ids that start alike, or a suffixed id equal to another name's plain slug: number it on.
    for (let n = 2; taken.has(id); n++) id = withSuffix(base, `${n}`);
    taken.add(id);
    return id;
  });
}

function withSuffix(base: string, suffix: string): string {
  return `${base.slice(0, MAX_SLUG - suffix.length - 1).replace(/[-_]+$/, "")}-${suffix}`;
}

/**
 * Distinct origin names within one pool, from Cloudflare's origin names (or addresses): characters
 * Edge LB does not allow in an origin name become "-"; repeats get "-2", "-3", ... in order.
 * @example originNames(["app-server-1", "app server 1", "10.0.0.1"]) // ["app-server-1", "app-server-1-2", "10.0.0.1"]
 */
export function originNames(names: readonly string[]): string[] {
  const taken = new Set<string>();
  return names.map((name, i) => {
    let base = name
      .replace(/[^A-Za-z0-9._-]+/g, "-")
      .replace(/^[._-]+/, "")
      .slice(0, MAX_SLUG)
      .replace(/[._-]+$/, "");
    if (!ORIGIN_NAME_PATTERN.test(base)) base = `origin-${i + 1}`;
    let unique = base;
    for (let n = 2; taken.has(unique); n++) unique = withSuffix(base, `${n}`);
    taken.add(unique);
    return unique;
  });
}
