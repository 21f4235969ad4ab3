import { OpenAPIHono } from '@hono/zod-openapi';
import { swaggerUI } from '@hono/swagger-ui';
import type { Context, MiddlewareHandler } from 'hono';
import type { Queue } from 'bullmq';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { requireRole, type ApiKeys } from './auth.js';
import { mountBullBoard } from './bull-board.js';
import { ApiError, errorResponse } from './errors.js';
import { batchRoutes, type BatchControl } from './routes/batches.js';
import { healthRoutes } from './routes/health.js';
import { ApiMetrics } from './metrics.js';
import { metricsRoute } from './routes/metrics.js';
import { modelRoutes } from './routes/models.js';
import { predictRoutes } from './routes/predict.js';
import { trainingRunRoutes, type TrainingControl } from './routes/training-runs.js';
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
  /** API keys by role; none = open (loopback only, checked by the server). */
  keys?: ApiKeys;
  metrics?: ApiMetrics;
  /** Sampled prediction log (drift monitoring). */
  predictionLog?: PredictionLog;
  /** Training routes, when this process can enqueue runs; their queues also get Bull Board. */
  training?: TrainingControl;
  /** Async batch routes, when this process can queue batches. */
  batches?: BatchControl & { queue?: Queue };
}

/** A CSV upload to the async batch route: streamed, so the JSON-only checks and limits do not apply. */
const isCsvUpload = (c: Context) => c.req.method === 'POST' && c.req.path === '/v1/batches' && (c.req.header('content-type') ?? '').toLowerCase().startsWith('text/csv');

/** The HTTP API: OpenAPI routes, one error shape, request ids, body limits. */
export function buildApp(o: AppOptions): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (result.success) return;
      const details = result.error.issues.map((i) => ({ field: i.path.join('.'), rule: i.code, message: i.message }));
      return c.json({ error: { code: 'invalid_request', message: details[0]?.message ?? 'invalid request', details } }, 422);
    },
  });
  const metrics = o.metrics ?? new ApiMetrics();
  app.use('*', metrics.middleware());
  app.use('*', requestId());
  const keys = o.keys ?? { predict: [], admin: [] };
  app.use('/v1/predict', requireRole('predict', keys));
  app.use('/v1/predict/*', requireRole('predict', keys));
  app.use('/v1/batches', requireRole('predict', keys));
  app.use('/v1/batches/*', requireRole('predict', keys));
  app.use('/v1/models', requireRole('admin', keys));
  app.use('/v1/models/*', requireRole('admin', keys));
  app.use('/v1/training-runs', requireRole('admin', keys));
  app.use('/v1/training-runs/*', requireRole('admin', keys));
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer', description: 'An API key with the predict or admin role' });
  app.use('/v1/*', async (c, next) => {
    const hasBody = (c.req.header('content-length') ?? '0') !== '0' || c.req.header('transfer-encoding') !== undefined;
    if (c.req.method === 'POST' && hasBody && !isCsvUpload(c) && !(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) {
      throw new ApiError(415, 'unsupported_media_type', c.req.path === '/v1/batches' ? 'send text/csv or application/json' : 'send application/json');
    }
    await next();
  });
  const jsonLimit = o.maxJsonBytes ?? 16 * 1024 * 1024;
  const limitJson = bodyLimit({
    maxSize: jsonLimit,
    onError: () => {
      throw new ApiError(413, 'body_too_large', `the body is over ${jsonLimit} bytes`);
    },
  });
  app.use('/v1/*', (c, next) => (isCsvUpload(c) ? next() : limitJson(c, next)));
  app.use('/v1/*', (c, next) => (isCsvUpload(c) ? next() : rejectPrototypeKeys(c, next)));
  healthRoutes(app, o.models, o.redisOk);
  predictRoutes(app, o.models, { maxBatchRows: o.maxBatchRows ?? 10_000, metrics, log: o.predictionLog });
  metricsRoute(app, metrics);
  if (o.training) trainingRunRoutes(app, o.training);
  if (o.batches) batchRoutes(app, o.models, o.batches);
  const queues = [...Object.values(o.training?.queues ?? {}), ...(o.batches?.queue ? [o.batches.queue] : [])];
  if (queues.length) {
    mountBullBoard(app, queues, keys);
    metrics.watchQueues(queues);
  }
  modelRoutes(app, o.models, o.registry);
  // Swagger UI loads its assets from a public CDN: fine for people online, not used by tests.
  app.get('/docs', swaggerUI({ url: '/openapi.json' }));
  app.doc31('/openapi.json', { openapi: '3.1.0', info: { title: 'threatmatrix', version: '0.1.0', description: 'Threat classifier serving and control' } });
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((err, c) => {
    if (err instanceof Error && /Malformed JSON/i.test(err.message)) return c.json({ error: { code: 'malformed_json', message: 'the body is not valid JSON' } }, 400);
    return errorResponse(err, c);
  });
  return app;
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** Path of the first own key that could reach an object's prototype, anywhere in a JSON value. */
function forbiddenKey(value: unknown, path: string[] = []): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN.has(key)) return [...path, key].join('.');
    const found = forbiddenKey((value as Record<string, unknown>)[key], [...path, key]);
    if (found) return found;
  }
  return undefined;
}

/** JSON bodies with `__proto__` / `constructor` / `prototype` keys are refused before any parsing into objects. */
const rejectPrototypeKeys: MiddlewareHandler = async (c, next) => {
  if (c.req.method === 'POST') {
    const text = await c.req.text();
    if (/"(__proto__|constructor|prototype)"\s*:/.test(text)) {
      let field: string | undefined;
      try {
        field = forbiddenKey(JSON.parse(text));
      } catch {
        // malformed: the validator answers it
      }
      if (field) throw new ApiError(422, 'forbidden_key', `the key ${field.split('.').pop()} is not allowed`, [{ field, rule: 'forbidden-key' }]);
    }
  }
  await next();
};
