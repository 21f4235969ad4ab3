import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Queue } from 'bullmq';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { RouteRoles } from './route-roles.js';

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
 * Bull Board for every queue at /admin/queues, admin only: browsers cannot send Bearer tokens, so
 * the front door also takes Basic auth (user `admin`, an admin key as the password) and asks for it.
 */
export function mountBullBoard(app: OpenAPIHono, queues: Queue[], roles: RouteRoles): void {
  const adapter = new HonoAdapter(serveStatic).setBasePath(BOARD_PATH);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
  roles.declarePrefix(BOARD_PATH, 'admin', 'basic');
  app.use(BOARD_PATH, withoutRemoteFonts);
  app.use(`${BOARD_PATH}/*`, withoutRemoteFonts);
  app.route(BOARD_PATH, adapter.registerPlugin());
}
