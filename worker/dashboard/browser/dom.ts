/**
 * DOM helpers for the dashboard's browser code. Every value is set with textContent or an attribute,
 * never parsed as HTML, so nothing configured can inject markup.
 */

/** An attribute value; `undefined`, `null` and `false` leave the attribute out. */
export type AttrValue = string | number | boolean | undefined | null;
/** A child node or text; `undefined`, `null` and `false` are skipped. */
export type Child = Node | string | number | undefined | null | false;

/** Creates `<tag attrs…>children…</tag>`; `class` sets className, every other key an attribute. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, AttrValue> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = String(value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
  }
  return node;
}

/** The element with this id; the page always has it, so a missing one is a bug worth an exception. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
}

/** A value as text, `-` when there is none. */
export function text(value: unknown): string {
  return value === undefined || value === null || value === "" ? "-" : String(value);
}

/** A coloured state label, e.g. `healthy`, `unhealthy`, `disabled`. */
export function badge(state: string): HTMLSpanElement {
  return el("span", { class: `badge ${state}`, "data-state": state }, state);
}

/** A time of day (24 h) from epoch milliseconds or an ISO string; `-` when unreadable. */
export function time(value: unknown): string {
  const at = typeof value === "number" ? value : typeof value === "string" ? Date.parse(value) : Number.NaN;
  return Number.isFinite(at) ? new Date(at).toLocaleTimeString([], { hour12: false }) : "-";
}
