/**
 * `GET /__lb/docs`: the OpenAPI document rendered as one self-contained HTML page (no scripts, no
 * external assets), so it works where there is no internet.
 */
import type { JsonSchema, OpenApiDocument } from "./document.ts";

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: JsonSchema;
}

interface Operation {
  tags?: string[];
  summary?: string;
  description?: string;
  parameters?: Parameter[];
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<
    string,
    { description?: string; $ref?: string; content?: Record<string, { schema: JsonSchema }> }
  >;
}

/**
 * The page for a document.
 * @example c.html(docsPage(openApiDocument()))
 */
export function docsPage(doc: OpenApiDocument): string {
  const operations = listOperations(doc);
  const toc = doc.tags
    .map((tag) => {
      const items = operations
        .filter((op) => op.operation.tags?.includes(tag.name))
        .map((op) => `<li><a href="#${op.anchor}">${badge(op.method)} <code>${esc(op.path)}</code></a></li>`)
        .join("");
      return `<li><strong>${esc(tag.name)}</strong> — ${inline(tag.description)}<ul>${items}</ul></li>`;
    })
    .join("");
  const schemaNames = Object.keys(doc.components.schemas);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)}</title><style>${STYLE}</style></head>
<body><main>
<h1>${esc(doc.info.title)} <small>v${esc(doc.info.version)} · OpenAPI ${esc(doc.openapi)}</small></h1>
<p>${inline(doc.info.description)}</p>
<p>The machine-readable document: <a href="/__lb/openapi.json"><code>/__lb/openapi.json</code></a>.</p>
<nav><h2>Endpoints</h2><ul>${toc}</ul>
<h2>Schemas</h2><p>${schemaNames.map((name) => `<a href="#schema-${esc(name)}">${esc(name)}</a>`).join(" · ")}</p></nav>
${operations.map((op) => renderOperation(op, doc)).join("\n")}
<h2>Schemas</h2>
${schemaNames.map((name) => `<section id="schema-${esc(name)}"><h3>${esc(name)}</h3>${renderSchema(doc.components.schemas[name] ?? {})}</section>`).join("\n")}
</main></body></html>`;
}

interface ListedOperation {
  path: string;
  method: string;
  anchor: string;
  operation: Operation;
  shared: Parameter[];
}

function listOperations(doc: OpenApiDocument): ListedOperation[] {
  const list: ListedOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    const shared = (item.parameters as Parameter[] | undefined) ?? [];
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      if (!operation) continue;
      const anchor = `op-${method}-${path.replace(/[^A-Za-z0-9]+/g, "-")}`;
      list.push({ path, method, anchor, operation, shared });
    }
  }
  return list;
}

function renderOperation(op: ListedOperation, doc: OpenApiDocument): string {
  const { operation } = op;
  const parameters = [...op.shared, ...(operation.parameters ?? [])];
  const auth =
    operation.security && operation.security.length === 0
      ? "No authentication."
      : "Bearer token (read token for reads, admin token for changes).";
  const params =
    parameters.length === 0
      ? ""
      : `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr>${parameters
          .map(
            (p) =>
              `<tr><td><code>${esc(p.name)}</code>${p.required ? ' <span class="req">required</span>' : ""}</td><td>${esc(p.in)}</td><td>${typeLabel(p.schema ?? {})}</td><td>${inline(p.description ?? "")}</td></tr>`,
          )
          .join("")}</table>`;
  const body = operation.requestBody
    ? `<h4>Request body</h4>${Object.entries(operation.requestBody.content)
        .map(([type, media]) => `<p><code>${esc(type)}</code></p>${renderSchema(media.schema)}`)
        .join("")}`
    : "";
  const responses = `<h4>Responses</h4><table><tr><th>status</th><th>description</th><th>body</th></tr>${Object.entries(
    operation.responses,
  )
    .map(([status, response]) => {
      const name = response.$ref?.split("/").pop();
      const shared = name
        ? (doc.components.responses[name] as { description?: string } | undefined)
        : undefined;
      const description = response.description ?? shared?.description ?? "";
      const media = response.content ? Object.entries(response.content)[0] : undefined;
      const schema = media
        ? `<code>${esc(media[0])}</code> ${typeLabel(media[1].schema)}`
        : name
          ? "problem JSON"
          : "";
      return `<tr><td>${esc(status)}</td><td>${inline(description)}</td><td>${schema}</td></tr>`;
    })
    .join("")}</table>`;
  return `<section class="op" id="${op.anchor}">
<h3>${badge(op.method)} <code>${esc(op.path)}</code></h3>
<p><strong>${esc(operation.summary ?? "")}</strong>${operation.description ? ` — ${inline(operation.description)}` : ""}</p>
<p class="auth">${auth}</p>${params}${body}${responses}</section>`;
}

/** A schema as nested tables of its properties. */
export function renderSchema(schema: JsonSchema, depth = 0): string {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  const head = schema.description && depth === 0 ? `<p>${inline(String(schema.description))}</p>` : "";
  if (!properties) {
    const members = (schema.allOf ?? schema.anyOf) as JsonSchema[] | undefined;
    const inner = members
      ?.filter((member) => member.properties)
      .map((member) => renderSchema(member, depth + 1));
    return `${head}<p>${typeLabel(schema)}</p>${inner?.join("") ?? ""}`;
  }
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const rows = Object.entries(properties).map(([name, child]) => {
    const nested = nestedObject(child);
    const details = [
      child.description ? inline(String(child.description)) : "",
      "default" in child ? `default <code>${esc(JSON.stringify(child.default))}</code>` : "",
      constraints(child),
    ]
      .filter(Boolean)
      .join("<br>");
    return `<tr><td><code>${esc(name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ""}</td><td>${typeLabel(child)}</td><td>${details}${
      nested && depth < 4
        ? `<details><summary>fields</summary>${renderSchema(nested, depth + 1)}</details>`
        : ""
    }</td></tr>`;
  });
  return `${head}<table><tr><th>field</th><th>type</th><th>meaning, default, limits</th></tr>${rows.join("")}</table>`;
}

function nestedObject(schema: JsonSchema): JsonSchema | undefined {
  if (schema.properties) return schema;
  const items = schema.items as JsonSchema | undefined;
  if (items?.properties) return items;
  const members = schema.anyOf as JsonSchema[] | undefined;
  return members?.map(nestedObject).find(Boolean);
}

/** A short type description, with links to named schemas; `spell` writes out the members of inline objects. */
export function typeLabel(schema: JsonSchema, spell = false): string {
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.split("/").pop() ?? "";
    return `<a href="#schema-${esc(name)}">${esc(name)}</a>`;
  }
  if (Array.isArray(schema.enum))
    return schema.enum.map((v) => `<code>${esc(JSON.stringify(v))}</code>`).join(" | ");
  if ("const" in schema) return `<code>${esc(JSON.stringify(schema.const))}</code>`;
  const label = (child: JsonSchema) => typeLabel(child, spell);
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as JsonSchema[]).map(label).join(" | ");
  if (Array.isArray(schema.allOf)) return (schema.allOf as JsonSchema[]).map(label).join(" &amp; ");
  const type = schema.type;
  if (type === "array") return `array of ${label((schema.items as JsonSchema | undefined) ?? {})}`;
  if (type === "object" && schema.properties && spell) {
    const members = Object.entries(schema.properties as Record<string, JsonSchema>);
    return `{ ${members.map(([name, child]) => `${esc(name)}: ${label(child)}`).join(", ")} }`;
  }
  if (type === "object" && schema.additionalProperties) {
    const value = schema.additionalProperties;
    return `map of string → ${typeof value === "object" ? typeLabel(value as JsonSchema) : "any"}`;
  }
  if (typeof type === "string") return esc(type);
  return "any";
}

function constraints(schema: JsonSchema): string {
  const parts: string[] = [];
  const range = (min: unknown, max: unknown, unit: string) => {
    if (min !== undefined && max !== undefined) parts.push(`${min}–${max}${unit}`);
    else if (min !== undefined) parts.push(`≥ ${min}${unit}`);
    else if (max !== undefined) parts.push(`≤ ${max}${unit}`);
  };
  range(schema.minimum, schema.maximum, "");
  range(schema.minLength, schema.maxLength, " characters");
  range(schema.minItems, schema.maxItems, " items");
  if (typeof schema.pattern === "string") parts.push(`pattern <code>${esc(schema.pattern)}</code>`);
  if (schema.additionalProperties === false) parts.push("no other fields");
  return parts.join(", ");
}

function badge(method: string): string {
  return `<span class="m m-${method}">${method.toUpperCase()}</span>`;
}

/** Escaped text where `code` spans become <code>. */
function inline(text: string): string {
  return esc(text).replace(/`([^`]+)`/g, "<code>$1</code>");
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
main{max-width:1100px;margin:0 auto;padding:1rem 1.5rem 4rem}
h1 small{font-size:.55em;color:#667;font-weight:normal}
code{font:13px ui-monospace,monospace;background:#eef1f5;padding:0 .25em;border-radius:3px}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem}
th,td{border:1px solid #dde2ea;padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#eef1f5;font-weight:600}
section{background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:.3rem 1rem;margin:1rem 0}
nav ul{margin:.2rem 0}
.m{display:inline-block;min-width:4.2em;text-align:center;color:#fff;border-radius:3px;font:600 12px ui-monospace,monospace;padding:.1em .3em}
.m-get{background:#2f7d32}.m-post{background:#1565c0}.m-put{background:#8e5b00}.m-patch{background:#6a1b9a}.m-delete{background:#b71c1c}
.req{color:#b71c1c;font-size:.8em}.auth{color:#556;font-size:.9em}
details summary{cursor:pointer;color:#1565c0}
`;
