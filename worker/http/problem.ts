/**
 * RFC 9457 problem details: the one shape of every error response, from the API and the proxy.
 * `ProblemError` is the one way to fail a request on purpose; anything else thrown is a bug and is
 * rendered as a 500 problem in one place (worker/index.ts).
 */

export interface FieldError {
  /** Where the problem is, e.g. `origins[1].weight`. */
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  412: "Precondition Failed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  428: "Precondition Required",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  508: "Loop Detected",
};

/** A problem type URI for this project's docs, e.g. `problemType("validation")`. */
export function problemType(slug: string): string {
  return `https://edge-lb.dev/problems/${slug}`;
}

export class ProblemError extends Error {
  readonly problem: Problem;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    detail: string,
    options: {
      type?: string;
      title?: string;
      errors?: FieldError[];
      headers?: Record<string, string>;
    } & Record<string, unknown> = {},
  ) {
    super(detail);
    const { type, title, errors, headers, ...extensions } = options;
    this.problem = {
      type: type ?? "about:blank",
      title: title ?? TITLES[status] ?? "Error",
      status,
      detail,
      ...(errors ? { errors } : {}),
      ...extensions,
    };
    this.headers = headers ?? {};
  }
}

export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { "content-type": "application/problem+json", "cache-control": "no-store", ...headers },
  });
}

/** Builds a problem response directly, e.g. `problem(404, "No load balancer matches this host")`. */
export function problem(
  status: number,
  detail: string,
  options?: ConstructorParameters<typeof ProblemError>[2],
): Response {
  const error = new ProblemError(status, detail, options);
  return problemResponse(error.problem, error.headers);
}
