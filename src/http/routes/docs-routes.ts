import type { FastifyInstance } from 'fastify';
import type { JsonObject } from '../../model/json.js';
import { isJsonObject } from '../../model/json.js';

/**
 * `/openapi.json` and `/docs`: the docs page is rendered on the server from the same OpenAPI
 * document (no script, no CDN), so it works offline and in any browser.
 */
export function docsRoutes(app: FastifyInstance): void {
  app.get('/openapi.json', { schema: { hide: true } }, (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(JSON.stringify(openApiOf(app))),
  );
  app.get('/docs', { schema: { hide: true } }, (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(docsPage(openApiOf(app))),
  );
  app.get('/health', { schema: { hide: true } }, (_request, reply) =>
    reply.type('application/json; charset=utf-8').send('{"ok":true}'),
  );
}

function openApiOf(app: FastifyInstance): JsonObject {
  return (app as unknown as { swagger: () => JsonObject }).swagger();
}

/** The OpenAPI document as one HTML page: operations by tag, then the type schemas. */
export function docsPage(spec: JsonObject): string {
  const info = isJsonObject(spec.info) ? spec.info : {};
  const paths = isJsonObject(spec.paths) ? spec.paths : {};
  const rows: string[] = [];
  for (const [path, item] of Object.entries(paths)) {
    if (!isJsonObject(item)) continue;
    for (const [method, operation] of Object.entries(item)) {
      if (!isJsonObject(operation)) continue;
      const summary = typeof operation.summary === 'string' ? operation.summary : '';
      const description = typeof operation.description === 'string' ? operation.description : '';
      rows.push(
        `<section class="op"><h3><span class="verb ${escape(method)}">${escape(method.toUpperCase())}</span> <code>${escape(path)}</code></h3><p><strong>${escape(summary)}</strong></p><p>${escape(description)}</p></section>`,
      );
    }
  }
  const components = isJsonObject(spec.components) ? spec.components : {};
  const schemas = isJsonObject(components.schemas) ? Object.keys(components.schemas) : [];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(String(info.title ?? 'paydoc'))} API</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.4}
.op{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;margin:.75rem 0}.verb{display:inline-block;min-width:4rem;font-weight:bold}
.post{color:#0a6}.get{color:#06c}code{font-size:1.05em}</style></head>
<body><h1>${escape(String(info.title ?? 'paydoc'))} API ${escape(String(info.version ?? ''))}</h1>
<p>${escape(String(info.description ?? ''))}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. Authenticate with <code>Authorization: Bearer &lt;API key&gt;</code>.</p>
<h2>Operations</h2>
${rows.join('\n')}
<h2>Types (${schemas.length})</h2>
<ul class="types">${schemas.map((name) => `<li><code>${escape(name)}</code></li>`).join('')}</ul>
</body></html>`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
