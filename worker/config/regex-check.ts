/**
 * Checks a rule's regular expression on write, so that no request can make it slow: it must
 * compile, and it must not contain the constructs that make a backtracking engine take exponential
 * time: a quantified group that itself contains a quantifier (`(a+)+`, `(\w*x?)*`), or a
 * back-reference. Pure: no runtime imports.
 */

/**
 * Why `source` is refused, or null when it is fine.
 * @example regexProblem("^/api/v[0-9]+/") // null
 * @example regexProblem("(a+)+$") // "nested quantifiers ... "
 */
export function regexProblem(source: string): string | null {
  try {
    new RegExp(source);
  } catch (error) {
    return `is not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`;
  }
  return riskyConstruct(source);
}

/** Quantifiers: `*`, `+`, `?` and `{n,m}` (a literal `{` that does not form one is not a quantifier). */
function quantifierAt(source: string, i: number): number {
  const c = source[i];
  if (c === "*" || c === "+" || c === "?") return 1;
  if (c === "{") {
    const m = /^\{\d+(?:,\d*)?\}/.exec(source.slice(i));
    if (m) return m[0].length;
  }
  return 0;
}

/** Whether the quantifier at `i` can repeat more than once (`?` and `{0,1}`/`{1}` cannot). */
function repeats(source: string, i: number, length: number): boolean {
  const q = source.slice(i, i + length);
  if (q === "?") return false;
  const m = /^\{(\d+)(?:(,)(\d*))?\}$/.exec(q);
  if (!m) return true;
  if (!m[2]) return Number(m[1]) > 1;
  return m[3] === "" || Number(m[3]) > 1;
}

function riskyConstruct(source: string): string | null {
  // For each open group: whether something inside it repeats.
  const stack: boolean[] = [];
  let inClass = false;
  let lastGroupRepeats: boolean | null = null;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") {
      const next = source[i + 1] ?? "";
      if (!inClass && /[1-9]/.test(next)) return "back-references are not allowed";
      if (!inClass && next === "k" && source[i + 2] === "<") return "back-references are not allowed";
      i++;
      lastGroupRepeats = null;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
      lastGroupRepeats = null;
      continue;
    }
    if (c === "(") {
      stack.push(false);
      lastGroupRepeats = null;
      continue;
    }
    if (c === ")") {
      const inner = stack.pop() ?? false;
      lastGroupRepeats = inner;
      continue;
    }
    const length = quantifierAt(source, i);
    if (length > 0) {
      const many = repeats(source, i, length);
      if (lastGroupRepeats && many) {
        return "nested quantifiers (a repeated group that contains a repetition) can take exponential time";
      }
      if (many || lastGroupRepeats) {
        for (let k = 0; k < stack.length; k++) stack[k] = true;
      }
      i += length - 1;
      // A lazy or possessive marker after a quantifier is part of it.
      if (source[i + 1] === "?") i++;
      lastGroupRepeats = null;
      continue;
    }
    lastGroupRepeats = null;
  }
  return null;
}
