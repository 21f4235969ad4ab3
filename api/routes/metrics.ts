import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { access } from '../auth.js';
import type { ApiMetrics } from '../metrics.js';

export function metricsRoute(app: OpenAPIHono, metrics: ApiMetrics): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/metrics',
      operationId: 'getMetrics',
      security: access.public,
      summary: 'Prometheus metrics: requests and latency by route, predictions by model version and class, the latest monitored window of the served model (tm_monitor_*)',
      responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } } },
    }),
    async (c) => c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  );
}
