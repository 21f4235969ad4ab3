import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';

/** The assets /docs needs, served from the installed swagger-ui-dist (pinned by the lockfile). */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

const page = (base: string, specUrl: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>threatmatrix API</title>
<link rel="stylesheet" href="${base}/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${base}/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ dom_id: '#swagger-ui', url: ${JSON.stringify(specUrl)} });</script>
</body>
</html>
`;

/**
 * Swagger UI at `base`, its script and stylesheet served by this server from swagger-ui-dist: a
 * CDN would leave the page blank offline and run whatever the CDN serves that day.
 */
export function mountDocs(app: OpenAPIHono, o: { base?: string; specUrl: string }): void {
  const base = o.base ?? '/docs';
  const dir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const cache = new Map<string, Promise<Buffer>>();
  app.get(base, (c) => c.html(page(base, o.specUrl)));
  app.get(`${base}/assets/:file`, async (c) => {
    const file = c.req.param('file');
    const type = ASSETS[file];
    if (!type) return c.json({ error: { code: 'not_found', message: `no asset ${file}` } }, 404);
    let bytes = cache.get(file);
    if (!bytes) {
      bytes = readFile(join(dir, file));
      cache.set(file, bytes);
      bytes.catch(() => cache.delete(file)); // a failed read is tried again next time
    }
    return c.body(new Uint8Array(await bytes), 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' });
  });
}
