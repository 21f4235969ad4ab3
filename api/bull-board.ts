import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Queue } from 'bullmq';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { basicAuth } from 'hono/basic-auth';
import { keyMatches, type ApiKeys } from './auth.js';

export const BOARD_PATH = '/admin/queues';

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
  app.route(BOARD_PATH, adapter.registerPlugin());
}
