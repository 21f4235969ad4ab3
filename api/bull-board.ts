import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Queue } from 'bullmq';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { RouteRoles } from './route-roles.js';

export const BOARD_PATH = '/admin/queues';

/**
 * Bull Board for every queue at /admin/queues, admin only: browsers cannot send Bearer tokens, so
 * the front door also takes Basic auth (user `admin`, an admin key as the password) and asks for it.
 */
export function mountBullBoard(app: OpenAPIHono, queues: Queue[], roles: RouteRoles): void {
  const adapter = new HonoAdapter(serveStatic).setBasePath(BOARD_PATH);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
  roles.declarePrefix(BOARD_PATH, 'admin', 'basic');
  app.route(BOARD_PATH, adapter.registerPlugin());
}
