/**
 * The API process: `npm run serve` (source) or `node dist/api/server.js`. Serves the production
 * model of TM_MODEL_NAME and picks up promotions by polling the registry.
 */
import { serve } from '@hono/node-server';
import pino from 'pino';
import { loadConfig } from '../schema/index.js';
import { stageDepsFrom } from '../workers/wiring.js';
import { buildApp } from './app.js';
import { isLoopback } from './auth.js';
import { ModelHolder } from './serving/model-holder.js';
import { Redis } from 'ioredis';

const config = loadConfig();
const log = pino({ name: 'threatmatrix-api', level: config.LOG_LEVEL, redact: ['req.headers.authorization'] });
const split = (v?: string) => (v ?? '').split(',').map((k) => k.trim()).filter(Boolean);
const keys = { predict: split(config.TM_API_KEYS_PREDICT), admin: split(config.TM_API_KEYS_ADMIN) };
if (!keys.admin.length && !isLoopback(config.HOST)) {
  log.fatal({ host: config.HOST }, 'refusing to serve admin routes without TM_API_KEYS_ADMIN on a non-loopback address');
  process.exit(2);
}
const { store, registry } = stageDepsFrom(config, log);
const models = new ModelHolder(config.TM_MODEL_NAME, registry, store);
await models.refresh().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'no production model loaded yet'));
models.startPolling(5_000, (err) => log.warn({ err: (err as Error).message }, 'model refresh failed'));
const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
redis.on('error', () => undefined);
const redisOk = async () => {
  try {
    if (redis.status !== 'ready') await redis.connect().catch(() => undefined);
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  }
};
const app = buildApp({ models, registry, redisOk, keys, maxBatchRows: config.TM_MAX_BATCH_ROWS });
const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
  log.info({ url: `http://${config.HOST}:${info.port}`, model: config.TM_MODEL_NAME, version: models.model?.version ?? null }, 'API listening');
});
const stop = () => {
  models.stop();
  server.close(() => {
    redis.disconnect();
    process.exit(0);
  });
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
