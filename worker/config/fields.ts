/**
 * The value types the resource schemas are built from: ids, names, header maps, addresses, status
 * lists and hash keys. Pure: no runtime imports.
 */
import { z } from "zod";
import { isReservedHeader } from "../http/headers.ts";

/**
 * What the API shows the read token instead of a secret (a header value, a webhook secret). A write
 * that contains it is refused: it would store the placeholder in place of the secret.
 */
export const REDACTED = "<redacted>";

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const SLUG_MESSAGE = "must be 1-63 characters of a-z, 0-9, '-' or '_', starting with a letter or digit";

export const Slug = z.string().regex(SLUG_PATTERN, SLUG_MESSAGE);

/** Origin names appear in URLs (`/origins/{name}/drain`), so they stay URL-safe. */
export const ORIGIN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const OriginName = z
  .string()
  .regex(ORIGIN_NAME_PATTERN, "must be 1-63 characters of A-Z, a-z, 0-9, '.', '-' or '_'");

/** RFC 9110 token characters. */
export const HeaderName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be a valid HTTP header name");

/** Headers one `headers` map may hold. */
export const MAX_HEADERS = 64;

/** Headers to send upstream; the ones the proxy owns (http/headers.ts, `isReservedHeader`) are refused. */
export const HeaderMap = z
  .record(
    HeaderName,
    z
      .string()
      .max(8192)
      // Visible ASCII, space and tab: what a header value may carry on every runtime and upstream.
      .regex(/^[\t\x20-\x7e]*$/, "must be printable ASCII (no CR, LF, NUL or other control characters)")
      .refine(
        (value) => value !== REDACTED,
        `is "${REDACTED}", the placeholder the read token sees: send the real value (read it with the admin token)`,
      ),
  )
  .superRefine((headers, ctx) => {
    if (Object.keys(headers).length > MAX_HEADERS) {
      ctx.addIssue({ code: "custom", path: [], message: `must have at most ${MAX_HEADERS} headers` });
    }
    for (const name of Object.keys(headers)) {
      if (isReservedHeader(name)) {
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: `header "${name}" is reserved: the proxy sets it (host, content-length, x-edge-lb-hops, x-request-id, x-forwarded-* and hop-by-hop headers cannot be configured)`,
        });
      }
    }
  });

const HOSTNAME_LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
export const HOSTNAME_PATTERN = new RegExp(`^(?:\\*\\.)?${HOSTNAME_LABEL}(?:\\.${HOSTNAME_LABEL})*$`);
export const HOST_HEADER_PATTERN = new RegExp(`^${HOSTNAME_LABEL}(?:\\.${HOSTNAME_LABEL})*(?::\\d{1,5})?$`);

/** An origin address: http(s), a host, an optional port and base path; no credentials, query or fragment. */
export const OriginAddress = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: "custom", message: "must be an absolute http:// or https:// URL" });
    return;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    ctx.addIssue({ code: "custom", message: "scheme must be http or https" });
  } else if (url.username || url.password) {
    ctx.addIssue({ code: "custom", message: "must not contain credentials" });
  } else if (url.search || url.hash || value.includes("?") || value.includes("#")) {
    ctx.addIssue({ code: "custom", message: "must not contain a query or fragment" });
  } else if (!url.hostname) {
    ctx.addIssue({ code: "custom", message: "must name a host" });
  }
});

const STATUS_ITEM = /^(?:[1-5]xx|[1-5]\d\d(?:-[1-5]\d\d)?)$/;
export const ExpectedCodes = z
  .string()
  .transform((s) => s.replace(/\s+/g, ""))
  .refine((s) => s.length > 0 && s.split(",").every((item) => STATUS_ITEM.test(item)), {
    message: 'must be a list of codes, classes or ranges, e.g. "200", "2xx", "200-299,301"',
  });

export const HashOn = z
  .string()
  .regex(
    /^(?:ip|path|(?:header|cookie|query):[!#$%&'*+.^_`|~0-9A-Za-z-]+)$/,
    'must be "ip", "path", "header:<name>", "cookie:<name>" or "query:<name>"',
  );

export const HttpMethod = z.string().regex(/^[A-Z]{1,16}$/, "must be an upper-case HTTP method, e.g. GET");
