/**
 * Cloudflare load balancing rules as Edge LB rules, where both can say the same thing. Cloudflare's
 * condition is a Rules language expression; the ones read here are conjunctions (`and`) of simple
 * comparisons on the fields Edge LB rules can match: the path, the method, a request header, a query
 * argument, and the load balancer's region (as its continent). The action is a fixed response (a
 * redirect when it is one) or `overrides.default_pools`; other overrides are noted. Everything else
 * leaves the rule out, with a note that says why. Pure.
 */
import type { z } from "zod";
import { type RuleSchema, RulesSchema } from "../../../worker/config/traffic.ts";
import { assignIds } from "./ids.ts";
import { flag, type JsonRecord, type Note, num, record, show, strings, text } from "./read.ts";

export type RuleInput = z.input<typeof RuleSchema>;
type When = NonNullable<RuleInput["when"]>;
type Then = RuleInput["then"];

export interface RuleContext {
  readonly at: string;
  readonly note: Note;
  /** Edge LB pool ids by Cloudflare pool id. */
  readonly poolIds: ReadonlyMap<string, string>;
  /** Cloudflare's region codes and their continents (the table geo steering uses). */
  readonly regionContinents: Readonly<Record<string, string>>;
}

/** A rule that cannot be converted, and why. */
class Unsupported extends Error {}

/**
 * The Edge LB rules for a load balancer's Cloudflare rules, in Cloudflare's order of priority.
 * @example convertRules([{ name: "api", condition: 'http.request.uri.path contains "/api"', overrides: { default_pools: ["p1"] } }], context)
 */
export function convertRules(rules: JsonRecord[], context: RuleContext): RuleInput[] {
  const ordered = rules
    .map((rule, index) => ({ rule, index, priority: num(rule.priority) ?? index }))
    .sort((a, b) => a.priority - b.priority || a.index - b.index);
  const names = assignIds(
    ordered.map(({ rule, index }) => ({ cloudflareId: `rule-${index + 1}`, name: text(rule.name) ?? "" })),
    "rule",
  );
  const converted: RuleInput[] = [];
  ordered.forEach(({ rule, index }, i) => {
    const at = `${context.at}.rules[${text(rule.name) ?? `#${index}`}]`;
    if (flag(rule.disabled) === true) {
      context.note(at, "dropped", "a disabled rule");
      return;
    }
    try {
      const when = conditionOf(text(rule.condition) ?? "", context.regionContinents);
      const then = actionOf(rule, at, context);
      const input: RuleInput = { name: names[i]!, when: when.when, then };
      if (!RulesSchema.safeParse([input]).success)
        throw new Unsupported("Edge LB refuses the converted rule");
      if (when.regions.length > 0) {
        context.note(at, "changed", `Edge LB matches the client's continent: ${when.regions.join(", ")}`);
      }
      if (flag(rule.terminates) === false && !isSet(rule.fixed_response)) {
        context.note(
          at,
          "changed",
          "Edge LB rules always decide: later rules are not applied on top of this one",
        );
      }
      converted.push(input);
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      context.note(at, "dropped", `${error.message}: ${show(text(rule.condition) ?? "")}`);
    }
  });
  return converted;
}

function isSet(value: unknown): boolean {
  return Object.keys(record(value)).length > 0;
}

/** A fixed response (a redirect when it is a 3xx with a location), or the overriding pools. */
function actionOf(rule: JsonRecord, at: string, context: RuleContext): Then {
  const fixed = record(rule.fixed_response);
  const overrides = record(rule.overrides);
  if (Object.keys(fixed).length > 0) {
    if (Object.keys(overrides).length > 0)
      context.note(`${at}.overrides`, "dropped", "a fixed response wins");
    return fixedResponse(fixed, at, context.note);
  }
  const { default_pools: pools, ...others } = overrides;
  const set = Object.entries(others).filter(([, value]) => value !== null && value !== undefined);
  if (set.length > 0) {
    context.note(
      `${at}.overrides`,
      "dropped",
      `an Edge LB rule chooses pools only: ${set.map(([key]) => key).join(", ")} not applied`,
    );
  }
  const ids = strings(pools).map((id) => context.poolIds.get(id));
  if (ids.length === 0) throw new Unsupported("no default_pools or fixed response to act on");
  if (ids.some((id) => id === undefined)) throw new Unsupported("names pools that were not converted");
  return { pools: [...new Set(ids as string[])] };
}

function fixedResponse(fixed: JsonRecord, at: string, note: Note): Then {
  const status = num(fixed.status_code) ?? 200;
  const location = text(fixed.location);
  if ([301, 302, 307, 308].includes(status) && location !== undefined) {
    const absolute =
      /^https?:\/\//i.test(location) || location.startsWith("/") ? location : `https://${location}`;
    if (absolute !== location)
      note(`${at}.fixed_response.location`, "assumed", `${show(location)} as ${absolute}`);
    return { redirect: { location: absolute, status: status as 301 | 302 | 307 | 308 } };
  }
  if (status < 200 || status > 599) throw new Unsupported(`status ${status} is not one Edge LB answers with`);
  if (location !== undefined)
    note(`${at}.fixed_response.location`, "dropped", `a Location only goes with a redirect`);
  const respond: NonNullable<Then["respond"]> = { status, body: text(fixed.message_body) ?? "" };
  const contentType = text(fixed.content_type);
  if (contentType !== undefined) respond.contentType = contentType;
  return { respond };
}

// ---- conditions ----

type Token = { kind: "string" | "word" | "punct"; value: string };

// Strings, operators and grouping, then words: field names, keywords, and anything else (IP ranges,
// numbers) as one run, so the parser can name what it does not convert.
const TOKEN = /\s*(?:"((?:[^"\\]|\\.)*)"|(==|!=|&&|\|\||~|[(){}[\],*!])|([^\s(){}[\],"=!~&|*]+))/y;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    if (/^\s*$/.test(source.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(source);
    if (!match) throw new Unsupported(`cannot read the expression at ${show(source.slice(at, at + 20))}`);
    if (match[1] !== undefined) tokens.push({ kind: "string", value: match[1].replace(/\\(.)/g, "$1") });
    else if (match[2] !== undefined) tokens.push({ kind: "punct", value: match[2] });
    else tokens.push({ kind: "word", value: match[3]! });
  }
  return tokens;
}

interface Comparison {
  field: string;
  /** The header or argument name of a map field. */
  key: string | null;
  op: "eq" | "contains" | "matches" | "in" | "starts_with" | "ends_with";
  values: string[];
}

const OPS: Record<string, Comparison["op"]> = {
  eq: "eq",
  "==": "eq",
  contains: "contains",
  matches: "matches",
  "~": "matches",
  in: "in",
};
const FIELDS = new Set([
  "http.request.uri.path",
  "http.request.method",
  "http.request.headers",
  "http.request.uri.args",
  "cf.load_balancer.region",
]);

class Parser {
  #tokens: Token[];
  #at = 0;
  constructor(source: string) {
    this.#tokens = tokenize(source);
  }

  /** A conjunction of comparisons; `or`, `not` and the like are not convertible. */
  conjunction(): Comparison[] {
    const terms = this.#term();
    while (this.#peek() !== undefined && this.#peek()!.value !== ")") {
      const joint = this.#next().value;
      if (joint !== "and" && joint !== "&&")
        throw new Unsupported(`Edge LB rules combine conditions with "and" only, not ${show(joint)}`);
      terms.push(...this.#term());
    }
    return terms;
  }

  done(): boolean {
    return this.#at === this.#tokens.length;
  }

  #term(): Comparison[] {
    const token = this.#next();
    if (token.value === "(") {
      const inner = this.conjunction();
      this.#expect(")");
      return inner;
    }
    if (token.kind === "word" && token.value === "true") return [];
    if (token.kind === "word" && (token.value === "starts_with" || token.value === "ends_with")) {
      this.#expect("(");
      const { field, key } = this.#field(this.#next());
      this.#expect(",");
      const value = this.#string();
      this.#expect(")");
      return [{ field, key, op: token.value, values: [value] }];
    }
    if (token.kind === "word" && token.value === "any") {
      this.#expect("(");
      const { field, key } = this.#field(this.#next(), "*");
      const comparison = this.#comparison(field, key);
      this.#expect(")");
      return [comparison];
    }
    const { field, key } = this.#field(token);
    return [this.#comparison(field, key)];
  }

  #comparison(field: string, key: string | null): Comparison {
    const operator = this.#next().value;
    const op = OPS[operator];
    if (op === undefined) throw new Unsupported(`operator ${show(operator)} has no Edge LB equivalent`);
    if (op !== "in") return { field, key, op, values: [this.#string()] };
    this.#expect("{");
    const values: string[] = [];
    while (this.#peek()?.value !== "}") values.push(this.#string());
    this.#expect("}");
    return { field, key, op, values };
  }

  /** `name`, or `name["key"][0]` (`[*]` inside any()) for the header and argument maps. */
  #field(token: Token, index = "0"): { field: string; key: string | null } {
    if (token.kind !== "word" || !FIELDS.has(token.value)) {
      throw new Unsupported(`${show(token.value)} is not a field Edge LB rules can match`);
    }
    if (token.value !== "http.request.headers" && token.value !== "http.request.uri.args") {
      return { field: token.value, key: null };
    }
    this.#expect("[");
    const key = this.#string();
    this.#expect("]");
    this.#expect("[");
    this.#expect(index);
    this.#expect("]");
    return { field: token.value, key };
  }

  #string(): string {
    const token = this.#next();
    if (token.kind !== "string") throw new Unsupported(`expected a quoted value, found ${show(token.value)}`);
    return token.value;
  }

  #expect(value: string): void {
    const token = this.#next();
    if (token.value !== value) throw new Unsupported(`expected ${show(value)}, found ${show(token.value)}`);
  }

  #peek(): Token | undefined {
    return this.#tokens[this.#at];
  }

  #next(): Token {
    const token = this.#tokens[this.#at++];
    if (!token) throw new Unsupported("the expression ends too early");
    return token;
  }
}

/** The `when` of an Edge LB rule for a Cloudflare condition ("" matches every request). */
export function conditionOf(
  condition: string,
  regionContinents: Readonly<Record<string, string>>,
): { when: When; regions: string[] } {
  const parser = new Parser(condition);
  const comparisons = condition.trim() === "" ? [] : parser.conjunction();
  if (!parser.done()) throw new Unsupported("cannot read the whole expression");
  const when: Record<string, unknown> = {};
  const regions: string[] = [];
  const set = (key: string, value: unknown) => {
    if (key in when) throw new Unsupported(`Edge LB matches ${key} once per rule`);
    when[key] = value;
  };
  for (const { field, key, op, values } of comparisons) {
    if (field === "http.request.uri.path") {
      set("path", { regex: pathRegex(op, values) });
    } else if (field === "http.request.method") {
      if (op !== "eq" && op !== "in") throw new Unsupported(`the method is matched exactly, not with ${op}`);
      set(
        "method",
        values.map((method) => method.toUpperCase()),
      );
    } else if (field === "cf.load_balancer.region") {
      if (op !== "eq" && op !== "in") throw new Unsupported(`the region is matched exactly, not with ${op}`);
      const continents = values.map((region) => regionContinents[region.toUpperCase()]);
      if (continents.some((continent) => continent === undefined)) throw new Unsupported("an unknown region");
      regions.push(...values.map((region, i) => `${region} → ${continents[i]}`));
      set("continent", [...new Set(continents as string[])]);
    } else {
      const source = field === "http.request.headers" ? "header" : "query";
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key!))
        throw new Unsupported(`${show(key)} is not a name Edge LB matches`);
      const name = source === "header" ? key!.toLowerCase() : key!;
      set(`${source}.${name}`, op === "eq" ? values[0] : { regex: pathRegex(op, values) });
    }
  }
  return { when: when as When, regions };
}

function pathRegex(op: Comparison["op"], values: string[]): string {
  const escaped = values.map((value) => value.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
  switch (op) {
    case "eq":
      return `^${escaped[0]}$`;
    case "in":
      return `^(?:${escaped.join("|")})$`;
    case "contains":
      return escaped[0]!;
    case "starts_with":
      return `^${escaped[0]}`;
    case "ends_with":
      return `${escaped[0]}$`;
    case "matches":
      return values[0]!;
  }
}
