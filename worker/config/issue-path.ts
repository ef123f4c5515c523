/**
 * Turns zod issues into the `errors` list of a validation problem: one `{ path, message }` per
 * field, with paths written the way a user reads them (`origins[1].weight`,
 * `poolWeights["web-eu"]`). Pure: no runtime imports.
 */
import type { z } from "zod";
import type { FieldError } from "../http/problem.ts";

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Formats a path of keys and indexes; the empty path (the whole body) is "".
 * @example formatPath(["origins", 1, "weight"]) // "origins[1].weight"
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else {
      const key = String(segment);
      if (IDENTIFIER.test(key)) out += out ? `.${key}` : key;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/**
 * One field error per problem zod found, under an optional path prefix (e.g. `["pools", 3]` when a
 * pool is validated as part of the whole configuration document).
 * @example issuesToFieldErrors(result.error.issues) // [{ path: "origins[0].address", message: "..." }]
 */
export function issuesToFieldErrors(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        errors.push({ path: formatPath([...path, key]), message: "unknown field" });
    } else {
      errors.push({ path: formatPath(path), message: describeIssue(issue) });
    }
  }
  return errors;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      if ("input" in issue && issue.input === undefined) return "is required";
      if (issue.expected === "number" && typeof issue.input === "number") return "must be a finite number";
      return `must be ${article(issue.expected)}${describeReceived(issue)}`;
    case "invalid_key":
      return `invalid key: ${issue.issues.map((inner) => describeIssue(inner)).join("; ")}`;
    case "invalid_element":
      return `invalid value: ${issue.issues.map((inner) => describeIssue(inner)).join("; ")}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    case "too_small":
      return describeBound(issue.origin, issue.inclusive ? "at least" : "more than", issue.minimum);
    case "too_big":
      return describeBound(issue.origin, issue.inclusive ? "at most" : "less than", issue.maximum);
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}`;
    default:
      return issue.message;
  }
}

function describeReceived(issue: z.core.$ZodIssueInvalidType): string {
  if (!("input" in issue)) return "";
  const input = issue.input;
  if (input === null) return ", got null";
  if (Array.isArray(input)) return ", got an array";
  return `, got ${typeof input}`;
}

function describeBound(origin: string, relation: string, bound: number | bigint): string {
  switch (origin) {
    case "array":
    case "set":
      return `must have ${relation} ${bound} item${bound === 1 ? "" : "s"}`;
    case "string":
      return `must be ${relation} ${bound} character${bound === 1 ? "" : "s"} long`;
    default:
      return `must be ${relation} ${bound}`;
  }
}

function article(expected: string): string {
  switch (expected) {
    case "array":
    case "object":
    case "integer":
      return `an ${expected}`;
    case "null":
    case "undefined":
      return expected;
    default:
      return `a ${expected}`;
  }
}
