/**
 * A load balancer's rules: the first rule whose conditions all hold decides what happens to a
 * request: other pools (same steering, health and failover), a direct answer, or a redirect. Pure.
 *
 * Rules are compiled once per load balancer object, i.e. once per configuration version: regular
 * expressions are built then, never per request, and each condition becomes a small test. A request
 * then costs one test per condition until a rule matches. `traceRules` runs the very same tests and
 * says, for the explain endpoint, which rule matched and which condition of each earlier rule failed.
 */
import { readCookie } from "../affinity/request-key.ts";
import type { LoadBalancer } from "../config/schema.ts";
import type { Redirect, Respond, Rule, ValueMatch } from "../config/traffic.ts";

/** What a rule may look at. */
export interface RuleRequest {
  readonly method: string;
  /** The normalized path, e.g. `/api/v2/cart`. */
  readonly path: string;
  readonly headers: Headers;
  /** For `query.<name>` conditions. */
  readonly url: URL;
  /** From `request.cf`; null when unknown. */
  readonly country: string | null;
  readonly continent: string | null;
  /** The `Cookie` header, read once by the first cookie condition (leave unset). */
  cookieHeader?: string | null;
}

export type RuleAction =
  /** A load balancer like the rule's own but with the rule's pools (and no geo maps). */
  | { readonly kind: "pools"; readonly loadBalancer: LoadBalancer }
  | { readonly kind: "respond"; readonly respond: Respond }
  | { readonly kind: "redirect"; readonly redirect: Redirect };

interface Condition {
  /** The `when` key, e.g. `header.x-beta`. */
  readonly key: string;
  /** Whether the condition holds for the request. */
  readonly test: (request: RuleRequest) => boolean;
  /** Why it does not hold, for the explain endpoint. */
  readonly why: (request: RuleRequest) => string;
}

export interface CompiledRule {
  readonly name: string;
  readonly conditions: readonly Condition[];
  readonly action: RuleAction;
}

export interface RuleMatch {
  readonly rule: CompiledRule;
  readonly index: number;
}

/** One rule as the explain endpoint reports it. */
export interface RuleTrace {
  readonly rule: string;
  readonly matched: boolean;
  /** For a rule that did not match: the first condition that failed and why. */
  readonly reason: string;
}

const compiled = new WeakMap<LoadBalancer, readonly CompiledRule[]>();
const NONE: readonly CompiledRule[] = [];

/**
 * The compiled rules of `loadBalancer`, built once per load balancer object (configuration version).
 * @example const match = matchRule(compileRules(lb), request);
 */
export function compileRules(loadBalancer: LoadBalancer): readonly CompiledRule[] {
  const rules = loadBalancer.rules;
  if (!rules || rules.length === 0) return NONE;
  let list = compiled.get(loadBalancer);
  if (!list) {
    list = rules.map((rule) => compileRule(loadBalancer, rule));
    compiled.set(loadBalancer, list);
  }
  return list;
}

/**
 * The first rule whose conditions all hold, or null.
 * @example matchRule(compileRules(lb), { method: "GET", path: "/", headers, url, country: null, continent: null })
 */
export function matchRule(rules: readonly CompiledRule[], request: RuleRequest): RuleMatch | null {
  outer: for (let r = 0; r < rules.length; r++) {
    const rule = rules[r]!;
    const conditions = rule.conditions;
    for (let c = 0; c < conditions.length; c++) if (!conditions[c]!.test(request)) continue outer;
    return { rule, index: r };
  }
  return null;
}

/**
 * Every rule up to the one that matches, each with why it did or did not match: for a rule that did
 * not, the first condition that failed in the order they are checked (cheapest first: method,
 * country, continent, headers, query, cookies, path).
 * @example traceRules(compileRules(lb), request) // [{ rule: "beta", matched: false, reason: "header.x-beta: absent" }, ...]
 */
export function traceRules(rules: readonly CompiledRule[], request: RuleRequest): RuleTrace[] {
  const trace: RuleTrace[] = [];
  for (const rule of rules) {
    const failed = rule.conditions.find((condition) => !condition.test(request));
    if (!failed) {
      const all = rule.conditions.map((condition) => condition.key);
      trace.push({
        rule: rule.name,
        matched: true,
        reason: all.length === 0 ? "no conditions: matches every request" : `all of ${all.join(", ")} hold`,
      });
      return trace;
    }
    trace.push({ rule: rule.name, matched: false, reason: `${failed.key}: ${failed.why(request)}` });
  }
  return trace;
}

/**
 * The `Location` of a redirect for a request to `url`.
 * @example redirectLocation({ location: "https://new.example.com/", status: 301, keepPath: true }, url)
 *   // "https://new.example.com/shop?id=1" for https://old.example.com/shop?id=1
 */
export function redirectLocation(redirect: Redirect, url: URL): string {
  if (!redirect.keepPath) return redirect.location;
  const base = redirect.location.endsWith("/") ? redirect.location.slice(0, -1) : redirect.location;
  return `${base}${url.pathname}${url.search}`;
}

function compileRule(loadBalancer: LoadBalancer, rule: Rule): CompiledRule {
  const conditions: Condition[] = [];
  for (const [key, value] of Object.entries(rule.when)) {
    if (value === undefined) continue;
    const condition = compileCondition(key, value);
    if (condition) conditions.push(condition);
  }
  conditions.sort((a, b) => costOf(a) - costOf(b));
  return { name: rule.name, conditions, action: compileAction(loadBalancer, rule) };
}

function compileAction(loadBalancer: LoadBalancer, rule: Rule): RuleAction {
  const { then } = rule;
  if (then.respond) return { kind: "respond", respond: then.respond };
  if (then.redirect) return { kind: "redirect", redirect: then.redirect };
  return {
    kind: "pools",
    loadBalancer: {
      ...loadBalancer,
      pools: then.pools ?? loadBalancer.pools,
      countryPools: {},
      regionPools: {},
    },
  };
}

function compileCondition(key: string, value: unknown): Condition | null {
  switch (key) {
    case "path": {
      const regex = safeRegex((value as { regex: string }).regex);
      return {
        key,
        test: (request) => regex.test(request.path),
        why: (request) => `${clip(request.path)} does not match ${regex.source}`,
      };
    }
    case "method":
    case "country":
    case "continent": {
      const allowed = value as readonly string[];
      const read =
        key === "method"
          ? (request: RuleRequest) => request.method
          : key === "country"
            ? (request: RuleRequest) => request.country
            : (request: RuleRequest) => request.continent;
      return {
        key,
        test: (request) => {
          const actual = read(request);
          return actual !== null && allowed.includes(actual);
        },
        why: (request) => `${read(request) ?? "unknown"} is not one of ${allowed.join(", ")}`,
      };
    }
  }
  const dot = key.indexOf(".");
  const source = key.slice(0, dot);
  const name = key.slice(dot + 1);
  const read =
    source === "header"
      ? (request: RuleRequest) => request.headers.get(name)
      : source === "cookie"
        ? (request: RuleRequest) => readCookie(cookieHeaderOf(request), name)
        : source === "query"
          ? (request: RuleRequest) => (request.url.search ? request.url.searchParams.get(name) : null)
          : null;
  if (!read) return null;
  const matches = valueTest(value as ValueMatch);
  return {
    key,
    test: (request) => matches(read(request)),
    why: (request) => {
      const actual = read(request);
      if (actual === null) return "absent";
      if (typeof value === "object" && value !== null && "present" in value) return "present";
      return `${JSON.stringify(clip(actual))} does not match`;
    },
  };
}

function cookieHeaderOf(request: RuleRequest): string | null {
  let header = request.cookieHeader;
  if (header === undefined) {
    header = request.headers.get("cookie");
    request.cookieHeader = header;
  }
  return header;
}

/** Cheap conditions first: all must hold, so the order changes only how soon a rule is ruled out. */
const COST: Record<string, number> = {
  method: 0,
  country: 0,
  continent: 0,
  header: 1,
  query: 2,
  cookie: 3,
  path: 4,
};

function costOf(condition: Condition): number {
  const dot = condition.key.indexOf(".");
  return COST[dot === -1 ? condition.key : condition.key.slice(0, dot)] ?? 5;
}

function valueTest(match: ValueMatch): (actual: string | null) => boolean {
  if (typeof match === "string") return (actual) => actual === match;
  if ("present" in match) {
    const present = match.present;
    return (actual) => (actual !== null) === present;
  }
  const regex = safeRegex(match.regex);
  return (actual) => actual !== null && regex.test(actual);
}

/** Validated on write; a pattern that still fails to compile matches nothing. */
function safeRegex(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch {
    return /(?!)/;
  }
}

function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
