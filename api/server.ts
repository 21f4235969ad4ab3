/**
 * The API process: `npm run serve` (source) or `node dist/api/server.js`. Serves the production
 * model of TM_MODEL_NAME and picks up promotions by polling the registry.
 */
import { serve } from '@hono/node-server';
import pino from 'pino';
import { readFile } from 'node:fs/promises';
import { Queue } from 'bullmq';
import { parse as parseYaml } from 'yaml';
import { loadConfig, parseDatasetSchema, STAGES, type RunSpecInput, type StageName } from '../schema/index.js';
import { sourceFromArg } from '../workers/cli/source-arg.js';
import { RunProducer } from '../workers/flow.js';
import { QUEUE_OF, redisConnection } from '../workers/queues.js';
import { stageDepsFrom } from '../workers/wiring.js';
import { buildApp } from './app.js';
import { isLoopback } from './auth.js';
import { ModelHolder } from './serving/model-holder.js';
import { PredictionLog } from './serving/prediction-log.js';
import { Redis } from 'ioredis';

const config = (() => {
  try {
    return loadConfig();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
})();
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
const training = await trainingControl();
const predictionLog = new PredictionLog(store, {
  sampleRate: config.TM_PREDICTION_SAMPLE_RATE,
  onError: (err) => log.warn({ err: (err as Error).message }, 'prediction log write failed'),
});
const app = buildApp({ models, registry, redisOk, keys, maxBatchRows: config.TM_MAX_BATCH_ROWS, training, predictionLog });
const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
  log.info({ url: `http://${config.HOST}:${info.port}`, model: config.TM_MODEL_NAME, version: models.model?.version ?? null }, 'API listening');
});
const stop = () => {
  models.stop();
  void training.close();
  void predictionLog.close();
  server.close(() => {
    redis.disconnect();
    process.exit(0);
  });
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

/** Lets admins start runs: a producer on the queues and defaults from the retraining settings. */
async function trainingControl() {
  const conn = redisConnection(config.REDIS_URL, 'producer');
  conn.on('error', () => undefined);
  const producer = new RunProducer(conn, config.TM_QUEUE_PREFIX);
  const queues = Object.fromEntries(STAGES.map((s) => [s, new Queue(QUEUE_OF[s], { connection: conn, prefix: config.TM_QUEUE_PREFIX })])) as Record<StageName, Queue>;
  const text = await readFile(config.TM_RETRAIN_SCHEMA, 'utf8');
  const schema = parseYaml(text) as Record<string, unknown>;
  const modelName = parseDatasetSchema(text, config.TM_RETRAIN_SCHEMA).name;
  return {
    enqueue: (run: RunSpecInput) => producer.enqueue(run),
    queues,
    store,
    defaults: { modelName, source: sourceFromArg(config.TM_RETRAIN_DATA, modelName), schema },
    source: sourceFromArg,
    async close() {
      await producer.close();
      await Promise.all(Object.values(queues).map((q) => q.close()));
      conn.disconnect();
    },
  };
}
