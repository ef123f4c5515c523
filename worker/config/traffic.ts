/**
 * Traffic management fields of a load balancer: rules (match a request, then send it to other
 * pools, answer it directly or redirect it), the key of `hash` steering and mirroring. Pure: no
 * runtime imports. Regular expressions are checked here, on write; the edge compiles them once per
 * configuration version (worker/routing/rules.ts).
 */
import { z } from "zod";
import { HeaderMap, HeaderName, HttpMethod, Slug } from "./fields.ts";
import { regexProblem } from "./regex-check.ts";

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";

/** At most this many rules per load balancer. */
export const MAX_RULES = 100;
/** Longest regular expression a rule may carry (path, header, cookie or query). */
export const MAX_REGEX_LENGTH = 512;
/** Longest body a `respond` rule may carry. */
export const MAX_RESPOND_BODY = 65_536;

/** A regular expression, checked on write: it compiles, is bounded in length, has no nested quantifiers. */
const Regex = z
  .string()
  .min(1)
  .max(MAX_REGEX_LENGTH)
  .superRefine((source, ctx) => {
    const problem = regexProblem(source);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .meta({
    description: `A JavaScript regular expression (no flags), at most ${MAX_REGEX_LENGTH} characters; nested quantifiers and back-references are refused.`,
  });

const RegexMatcher = z.strictObject({ regex: Regex });
const PresentMatcher = z.strictObject({
  present: z.boolean().meta({ description: "true: the value is present; false: it is absent." }),
});

/** How a header, cookie or query parameter must look: an exact value, a regex, or presence. */
export const ValueMatcher = z
  .union([z.string().max(8192), RegexMatcher, PresentMatcher])
  .meta({ description: 'An exact value, { "regex": "..." } or { "present": true | false }.' });

const CountryCode = z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166 alpha-2 country code, upper case");
const ContinentCode = z.string().regex(/^[A-Z]{2}$/, "must be a two-letter continent code, e.g. EU");

/** A key of `when` besides the fixed ones: `header.<name>`, `cookie.<name>` or `query.<name>`. */
export const DYNAMIC_CONDITION = new RegExp(`^(header|cookie|query)\\.(${TOKEN})$`);

/** `when` as code sees it: the fixed conditions, and `header.<name>`, `cookie.<name>`, `query.<name>`. */
export interface RuleWhen {
  path?: { regex: string };
  method?: string[];
  country?: string[];
  continent?: string[];
  [key: `header.${string}` | `cookie.${string}` | `query.${string}`]: ValueMatch;
}

type ValueMatch = string | { regex: string } | { present: boolean };

const RuleWhenObject = z
  .object({
    path: RegexMatcher.optional().meta({
      description: 'The normalized request path matches { "regex": "..." }.',
    }),
    method: z
      .array(HttpMethod)
      .min(1)
      .max(32)
      .optional()
      .meta({ description: "The request method is one of these." }),
    country: z
      .array(CountryCode)
      .min(1)
      .max(300)
      .optional()
      .meta({ description: "The client's country (request.cf.country) is one of these." }),
    continent: z
      .array(ContinentCode)
      .min(1)
      .max(10)
      .optional()
      .meta({ description: "The client's continent (request.cf.continent) is one of these." }),
  })
  .catchall(ValueMatcher)
  .superRefine((when, ctx) => {
    const keys = Object.keys(when);
    if (keys.length > 64) ctx.addIssue({ code: "custom", message: "at most 64 conditions" });
    for (const key of keys) {
      if (key === "path" || key === "method" || key === "country" || key === "continent") continue;
      if (!DYNAMIC_CONDITION.test(key)) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message:
            'unknown condition: use path, method, country, continent, "header.<name>", "cookie.<name>" or "query.<name>"',
        });
      }
    }
  })
  .meta({
    description:
      "Conditions that must all hold (none: every request): path, method, country, continent, and " +
      '"header.<name>", "cookie.<name>", "query.<name>" each an exact value, { "regex" } or { "present" }.',
  });

/** The same schema, typed with template-literal keys (zod's catchall type clashes with the fixed keys). */
export const RuleWhenSchema = RuleWhenObject as unknown as z.ZodType<RuleWhen, RuleWhen>;

export const RespondSchema = z.strictObject({
  status: z.number().int().min(200).max(599).default(503).meta({ description: "Status of the answer." }),
  body: z.string().max(MAX_RESPOND_BODY).default("").meta({ description: "Body of the answer." }),
  contentType: z
    .string()
    .max(256)
    .regex(/^[\x20-\x7e]+$/, "must be printable ASCII")
    .default("text/plain; charset=utf-8")
    .meta({ description: "Content-Type of the answer." }),
  headers: HeaderMap.default({}).meta({ description: "Further response headers." }),
});

export const RedirectSchema = z.strictObject({
  location: z
    .string()
    .max(2048)
    .superRefine((value, ctx) => {
      if (value.startsWith("/") && !value.startsWith("//")) return;
      try {
        const url = new URL(value);
        if (url.protocol === "http:" || url.protocol === "https:") return;
      } catch {}
      ctx.addIssue({ code: "custom", message: "must be an absolute http(s) URL or a path starting with /" });
    })
    .meta({ description: "Where to redirect: an absolute http(s) URL or a path." }),
  status: z
    .union([z.literal(301), z.literal(302), z.literal(307), z.literal(308)])
    .default(302)
    .meta({ description: "301, 302, 307 or 308." }),
  keepPath: z
    .boolean()
    .default(false)
    .meta({ description: "Append the request's path and query to location." }),
});

export const RuleThenSchema = z
  .strictObject({
    pools: z.array(Slug).min(1).max(20).optional().meta({
      description:
        "Pools that replace the load balancer's own for this request (same steering, health and failover).",
    }),
    respond: RespondSchema.optional().meta({
      description: "Answer directly, without any origin (e.g. a maintenance page).",
    }),
    redirect: RedirectSchema.optional().meta({ description: "Answer with a redirect." }),
  })
  .superRefine((then, ctx) => {
    const actions = (["pools", "respond", "redirect"] as const).filter((key) => then[key] !== undefined);
    if (actions.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: `must name exactly one action of pools, respond or redirect (found ${actions.length})`,
      });
    }
    then.pools?.forEach((pool, i) => {
      if (then.pools?.indexOf(pool) !== i)
        ctx.addIssue({ code: "custom", path: ["pools", i], message: `duplicate pool "${pool}"` });
    });
  })
  .meta({ description: "Exactly one action: pools, respond or redirect." });

export const RuleSchema = z.strictObject({
  name: Slug.meta({ description: "Slug, unique within the load balancer." }),
  when: RuleWhenSchema.default({}),
  then: RuleThenSchema,
});

export const RulesSchema = z
  .array(RuleSchema)
  .max(MAX_RULES)
  .default([])
  .superRefine((rules, ctx) => {
    const seen = new Map<string, number>();
    rules.forEach((rule, i) => {
      const first = seen.get(rule.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [i, "name"],
          message: `duplicate rule name "${rule.name}" (also rules[${first}])`,
        });
      } else seen.set(rule.name, i);
    });
  })
  .meta({
    description: `Ordered rules (at most ${MAX_RULES}); the first whose conditions all hold decides.`,
  });

export const SplitOn = z
  .string()
  .regex(
    new RegExp(`^(?:ip|(?:header|cookie):${TOKEN})$`),
    'must be "ip", "header:<name>" or "cookie:<name>"',
  )
  .default("ip")
  .meta({
    description:
      'Key of steering "hash": ip, header:<name> or cookie:<name> (absent or empty: the client address).',
  });

export const PoolOverrideHeader = HeaderName.toLowerCase().nullable().default(null).meta({
  description: "A request naming one of this load balancer's pools in this header goes to that pool.",
});

export const MirrorSchema = z
  .strictObject({
    pool: Slug.meta({ description: "Pool whose origins get the copies." }),
    percent: z
      .number()
      .min(0)
      .max(100)
      .default(100)
      .meta({ description: "Share of matching requests copied, 0 to 100." }),
    methods: z
      .array(HttpMethod)
      .min(1)
      .max(32)
      .default(["GET", "HEAD"])
      .meta({ description: "Only requests with these methods are copied." }),
    maxBodyBytes: z
      .number()
      .int()
      .min(0)
      .max(10 * 1024 * 1024)
      .default(65_536)
      .meta({ description: "Requests with a larger body are not copied." }),
  })
  .nullable()
  .default(null)
  .meta({
    description:
      "Copy a share of requests to an origin of another pool after the real request; the copy's answer is discarded.",
  });

export type Rule = z.output<typeof RuleSchema>;
export type { ValueMatch };
export type Respond = z.output<typeof RespondSchema>;
export type Redirect = z.output<typeof RedirectSchema>;
export type Mirror = NonNullable<z.output<typeof MirrorSchema>>;
