/**
 * Configuration documents on disk: reading JSON or YAML for `apply`, writing them for `export`,
 * and removing the fields the server owns (`version`) so an export applies back unchanged.
 */
import { Document, isScalar, parse, visit } from "yaml";
import { jsonSyntaxError } from "../../worker/http/json-syntax.ts";

export interface ConfigDocument {
  pools: Array<{ id: string; [field: string]: unknown }>;
  loadBalancers: Array<{ id: string; [field: string]: unknown }>;
  [field: string]: unknown;
}

/** The file could not be read as a configuration document; nothing was sent. */
export class DocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DocumentError";
  }
}

/**
 * Parses a document's text: JSON for `.json` names, YAML otherwise (YAML also reads JSON).
 * Only the shape needed to send it is checked here; the server validates the rest.
 */
export function parseDocument(text: string, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = name.toLowerCase().endsWith(".json") ? JSON.parse(text) : parse(text);
  } catch (error) {
    const json = name.toLowerCase().endsWith(".json");
    throw new DocumentError(`${name} is not valid ${json ? "JSON" : "YAML"}: ${syntaxError(error, json)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DocumentError(`${name} must hold one object with "pools" and "loadBalancers"`);
  }
  return value as Record<string, unknown>;
}

/**
 * A copy without the server-owned `version`, at the top and on each pool and load balancer.
 * Anything else is kept as is, unknown fields included, so the server can point at them.
 */
export function withoutServerFields(document: Record<string, unknown>): Record<string, unknown> {
  const { version: _version, ...rest } = document;
  for (const key of ["pools", "loadBalancers"]) {
    const list = rest[key];
    if (Array.isArray(list)) rest[key] = list.map(stripVersion);
  }
  return rest;
}

function stripVersion(item: unknown): unknown {
  if (typeof item !== "object" || item === null || Array.isArray(item)) return item;
  const { version: _version, ...rest } = item as Record<string, unknown>;
  return rest;
}

/** The document as `export` prints it. YAML starts with a comment saying where it came from. */
export function serializeDocument(
  document: Record<string, unknown>,
  format: "yaml" | "json",
  origin: { endpoint: string; version: number | undefined },
): string {
  if (format === "json") return `${JSON.stringify(document, null, 2)}\n`;
  const version = origin.version === undefined ? "" : ` at version ${origin.version}`;
  return toYaml(document, [
    `Edge LB configuration from ${origin.endpoint}${version}.`,
    "Edit, then: edge-lb apply <this file>",
  ]);
}

/** A document as YAML after a comment of `header` lines, the way every command writes one. */
export function toYaml(document: Record<string, unknown>, header: readonly string[]): string {
  const yaml = new Document(document);
  // Short lists of plain values (pools, status codes, methods) read best on one line.
  visit(yaml, {
    Seq(_key, node) {
      if (node.items.every((item) => isScalar(item))) node.flow = true;
    },
  });
  const comment = header.map((line) => `# ${line}\n`).join("");
  return comment + yaml.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/**
 * The reason and place of a syntax error, without the text: the parsers quote the line around it,
 * and a file whose values are credentials should not print them (a CI log keeps what it prints).
 * @example syntaxError(yamlError, false) // "Nested mappings are not allowed in compact mappings at line 3, column 22"
 */
export function syntaxError(error: unknown, json: boolean): string {
  if (json) return jsonSyntaxError(error);
  const message = error instanceof Error ? error.message : String(error);
  return (message.split("\n")[0] ?? "").replace(/:$/, "");
}
