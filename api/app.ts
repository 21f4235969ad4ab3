import { OpenAPIHono } from '@hono/zod-openapi';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { SECURITY_SCHEME, type ApiKeys } from './auth.js';
import { frontDoor } from './front-door.js';
import { mountBullBoard } from './bull-board.js';
import { mountDocs } from './docs.js';
import { errorResponse } from './errors.js';
import { batchRoutes, type BatchControl } from './routes/batches.js';
import { feedbackRoutes } from './routes/feedback.js';
import { healthRoutes } from './routes/health.js';
import { ApiMetrics } from './metrics.js';
import { metricsRoute } from './routes/metrics.js';
import { modelImportRoutes } from './routes/model-import.js';
import { modelRoutes } from './routes/models.js';
import { monitoringRoutes } from './routes/monitoring.js';
import { monitoringGauges } from './monitoring-gauges.js';
import { predictRoutes } from './routes/predict.js';
import { retrainScheduleRoutes, type ScheduleControl } from './routes/retrain-schedule.js';
import { trainingRunRoutes, type TrainingControl } from './routes/training-runs.js';
import { RouteRoles } from './route-roles.js';
import type { ModelRegistry } from '../core/ports/model-registry.js';
import type { ModelHolder } from './serving/model-holder.js';
import type { PredictionLog } from './serving/prediction-log.js';

export interface AppOptions {
  models: ModelHolder;
  registry: ModelRegistry;
  redisOk: () => Promise<boolean>;
  /** Rows per synchronous batch. Default 10,000. */
  maxBatchRows?: number;
  /** JSON body limit in bytes. Default 16 MiB. */
  maxJsonBytes?: number;
  /** API keys by role; none = predict routes open (loopback only, checked by the server), admin routes closed. */
  keys?: ApiKeys;
  metrics?: ApiMetrics;
  /** Sampled prediction log (drift monitoring). */
  predictionLog?: PredictionLog;
  /** Training routes, when this process can enqueue runs; their queues also get Bull Board. */
  training?: TrainingControl;
  /** The retraining schedule's admin routes (with `training`, whose defaults they use). */
  schedule?: ScheduleControl;
  /** Where the access log (one line per request) and 5xx answers (request id, stack) go; none = neither. */
  log?: Logger;
  /** Tells every API process that a model changed (threshold, production): see workers/model-changes.ts. */
  announce?: (name: string) => Promise<void>;
  /** How long the monitoring gauges keep one read of the window store, ms. Default 15,000. */
  monitorGaugeCacheMs?: number;
  /** Async batch routes, when this process can queue batches. */
  batches?: BatchControl & { queue?: Queue };
}

/** The HTTP API: OpenAPI routes, one error shape, request ids, body limits. */
export function buildApp(o: AppOptions): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (result.success) return;
      const details = result.error.issues.map((i) => ({ field: i.path.join('.') || 'body', rule: i.code, message: i.message }));
      return c.json({ error: { code: 'invalid_request', message: details[0]?.message ?? 'invalid request', details } }, 422);
    },
  });
  const metrics = o.metrics ?? new ApiMetrics();
  const keys = o.keys ?? { predict: [], admin: [] };
  // Routes declare their roles where they are defined; one a request matches without one is refused.
  const roles = new RouteRoles(app.openAPIRegistry);
  app.use('*', frontDoor({ keys, metrics, maxJsonBytes: o.maxJsonBytes ?? 16 * 1024 * 1024, roles, log: o.log }));
  app.openAPIRegistry.registerComponent('securitySchemes', SECURITY_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key. Each operation names the role it needs: predict (a predict or admin key) or admin',
  });
  healthRoutes(app, o.models, o.redisOk);
  predictRoutes(app, o.models, { maxBatchRows: o.maxBatchRows ?? 10_000, metrics, log: o.predictionLog });
  feedbackRoutes(app, o.models, { maxCsvBytes: o.maxJsonBytes });
  metricsRoute(app, metrics);
  if (o.training) trainingRunRoutes(app, o.training);
  if (o.training && o.schedule) retrainScheduleRoutes(app, o.schedule, o.training);
  if (o.batches) batchRoutes(app, o.models, o.batches);
  const queues = [...Object.values(o.training?.queues ?? {}), ...(o.batches?.queue ? [o.batches.queue] : [])];
  if (queues.length) {
    mountBullBoard(app, queues, roles);
    metrics.watchQueues(queues);
  }
  modelImportRoutes(app, o.models, o.registry);
  modelRoutes(app, o.models, o.registry, { announce: o.announce });
  monitoringRoutes(app, o.models, o.registry);
  monitoringGauges(metrics.registry, {
    store: o.models.store,
    model: () => o.models.name,
    cacheMs: o.monitorGaugeCacheMs,
    onError: (err) => o.log?.warn({ err: (err as Error).message }, 'monitoring gauges: window store read failed'),
  });
  roles.declare('GET', '/docs', 'public');
  roles.declare('GET', '/docs/assets/:file', 'public');
  mountDocs(app, { specUrl: '/openapi.json' });
  roles.declare('GET', '/openapi.json', 'public');
  app.doc31('/openapi.json', (c) => ({
    openapi: '3.1.0',
    info: { title: 'threatmatrix', version: '0.1.0', description: 'Threat classifier serving and control', license: { name: 'Apache-2.0', identifier: 'Apache-2.0' } },
    // The origin the document was fetched from: generated clients and Swagger UI call the same server.
    servers: [{ url: new URL(c.req.url).origin, description: 'this server' }],
  }));
  app.notFound((c) => {
    const message = `no route ${c.req.method} ${c.req.path.slice(0, 200)}`;
    return c.json({ error: { code: 'not_found', message, details: [{ field: 'path', rule: 'route', message }] } }, 404);
  });
  app.onError((err, c) => errorResponse(err, c, o.log));
  return app;
}
