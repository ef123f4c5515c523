/**
 * What is wrong with a JSON text, without quoting it. V8's `JSON.parse` errors may quote the text
 * around the error (`Unexpected token 'B', ..."ization": Bearer abc1"... is not valid JSON`), and a
 * value someone forgot to quote is, as likely as not, a credential. Pure.
 */

/**
 * The reason and place of a `JSON.parse` error, e.g. `Unterminated string in JSON at position 12
 * (line 1 column 13)`; never any of the text itself.
 * @example try { JSON.parse(text) } catch (error) { detail = jsonSyntaxError(error) }
 */
export function jsonSyntaxError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // V8's positioned messages name the problem and the place only (their quotes are grammar: ',').
  if (/^[A-Za-z ,'{}[\]:-]+ (in|after) JSON at position \d+( \(line \d+ column \d+\))?$/.test(message)) {
    return message;
  }
  if (message === "Unexpected end of JSON input") return message;
  return "unexpected token (is a string value missing its double quotes?)";
}
