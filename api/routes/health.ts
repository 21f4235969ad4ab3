import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { access } from '../auth.js';
import type { ModelHolder } from '../serving/model-holder.js';
import { ErrorSchema } from './shared.js';

const Health = z.object({ status: z.string() }).openapi('Health');
const Ready = z.object({ status: z.string(), model: z.string().optional(), modelVersion: z.number().int().optional() }).openapi('Ready');

export function healthRoutes(app: OpenAPIHono, models: ModelHolder, redisOk: () => Promise<boolean>): void {
  app.openapi(createRoute({ method: 'get', path: '/healthz', operationId: 'getHealth', summary: 'Alive', security: access.public, responses: { 200: { description: 'Alive', content: { 'application/json': { schema: Health } } } } }), (c) =>
    c.json({ status: 'ok' }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      operationId: 'getReadiness',
      security: access.public,
      summary: 'Redis reachable and a production model loaded',
      responses: {
        200: { description: 'Ready', content: { 'application/json': { schema: Ready } } },
        503: { description: 'Not ready', content: { 'application/json': { schema: ErrorSchema } } },
      },
    }),
    async (c) => {
      const served = models.model;
      if (!served) return c.json({ error: { code: 'no_model', message: 'no production model is loaded yet' } }, 503);
      if (!(await redisOk())) return c.json({ error: { code: 'redis_down', message: 'Redis does not answer' } }, 503);
      return c.json({ status: 'ready', model: served.name, modelVersion: served.version }, 200);
    },
  );
}
