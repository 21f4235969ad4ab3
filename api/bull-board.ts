import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Queue } from 'bullmq';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { basicAuth } from 'hono/basic-auth';
import { keyMatches, type ApiKeys } from './auth.js';

export const BOARD_PATH = '/admin/queues';

/**
 * Bull Board's page links Google Fonts: offline it waits on it, and online it tells Google who opens
 * the board. Its own CSS falls back to system fonts, so the link goes.
 */
const withoutRemoteFonts: MiddlewareHandler = async (c, next) => {
  await next();
  if (!c.res.headers.get('content-type')?.startsWith('text/html')) return;
  const html = (await c.res.text()).replace(/<link[^>]*fonts\.(googleapis|gstatic)\.com[^>]*>/g, '');
  const headers = new Headers(c.res.headers);
  headers.delete('content-length');
  c.res = new Response(html, { status: c.res.status, headers });
};

/**
 * Bull Board for every queue at /admin/queues, behind Basic auth (user `admin`, an admin key as
 * the password): browsers cannot send Bearer tokens to it. Open only when no keys are configured
 * (loopback-only servers).
 */
export function mountBullBoard(app: OpenAPIHono, queues: Queue[], keys: ApiKeys): void {
  const adapter = new HonoAdapter(serveStatic).setBasePath(BOARD_PATH);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
  if (keys.admin.length || keys.predict.length) {
    const guard = basicAuth({ verifyUser: (user, password) => user === 'admin' && keyMatches(password, keys.admin), realm: 'threatmatrix queues' });
    app.use(BOARD_PATH, guard);
    app.use(`${BOARD_PATH}/*`, guard);
  }
  app.use(BOARD_PATH, withoutRemoteFonts);
  app.use(`${BOARD_PATH}/*`, withoutRemoteFonts);
  app.route(BOARD_PATH, adapter.registerPlugin());
}
