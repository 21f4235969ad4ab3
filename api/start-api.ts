import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { ConfigError, STAGES, type Config, type RunSpecInput, type StageName } from '../schema/index.js';
import type { ArtifactStore } from '../core/ports/artifact-store.js';
import { BatchProducer } from '../workers/batches.js';
import { ModelChanges } from '../workers/model-changes.js';
import { sourceFromArg } from '../schema/source-arg.js';
import { RunProducer } from '../workers/flow.js';
import { QUEUE_OF } from '../workers/queues.js';
import { redisConnection, type RedisClient } from '../workers/redis-connection.js';
import { redisReadiness } from '../workers/redis-reachable.js';
import { cancelRun } from '../workers/run-control.js';
import { quietRedis } from '../workers/redis-errors.js';
import { RetrainScheduler, retrainTemplate } from '../workers/retrain.js';
import { stageDepsFrom, trackerFrom } from '../workers/wiring.js';
import { buildApp } from './app.js';
import { isLoopback, type ApiKeys } from './auth.js';
import { answerClientErrors } from './client-errors.js';
import { ModelHolder } from './serving/model-holder.js';
import { drainable } from './graceful-close.js';
import { PredictionLog } from './serving/prediction-log.js';

export interface RunningApi {
  url: string;
  models: ModelHolder;
  /** Stops accepting, finishes requests in flight (up to `deadlineMs`, default TM_API_SHUTDOWN_SECONDS), closes the queues. */
  close(deadlineMs?: number): Promise<void>;
}

const split = (v?: string) => (v ?? '').split(',').map((k) => k.trim()).filter(Boolean);

/** API keys by role from the configuration. */
export const keysFrom = (config: Config): ApiKeys => ({ predict: split(config.TM_API_KEYS_PREDICT), admin: split(config.TM_API_KEYS_ADMIN) });

/**
 * Starts the HTTP API: serves the production model of TM_MODEL_NAME (promotions picked up by
 * polling the registry every `pollMs`), training and batch routes on the queues, Bull Board.
 * Refuses (ConfigError) to expose admin routes without an admin key on a non-loopback address.
 */
export async function startApi(config: Config, log: Logger, o: { pollMs?: number } = {}): Promise<RunningApi> {
  const keys = keysFrom(config);
  if (!keys.admin.length && !isLoopback(config.HOST)) {
    throw new ConfigError(`refusing to serve admin routes on ${config.HOST} without TM_API_KEYS_ADMIN (set it, or HOST=127.0.0.1)`);
  }
  const { store, registry } = stageDepsFrom(config, log);
  const models = new ModelHolder(config.TM_MODEL_NAME, registry, store);
  await models.refresh().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'no production model loaded yet'));
  models.startPolling(o.pollMs ?? 5_000, (err) => log.warn({ err: (err as Error).message }, 'model refresh failed'));
  // Readiness within a second: a Redis that went away must not hold a request.
  const readiness = redisReadiness(config, config.TM_QUEUE_PREFIX);
  const conn = redisConnection(config, 'producer');
  conn.on('error', () => undefined);
  // Threshold and production changes reach this process at once (polling stays as the fallback).
  const changes = new ModelChanges(conn, config.TM_QUEUE_PREFIX);
  // Not awaited: with Redis down the subscription waits for it, the API starts anyway.
  void models.follow(changes, (err) => log.warn({ err: (err as Error).message }, 'model refresh failed')).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'model change announcements unavailable: polling only'));
  const training = await trainingControl(config, conn, store);
  const schedule = new RetrainScheduler(conn, config.TM_QUEUE_PREFIX);
  const batches = new BatchProducer(conn, config.TM_QUEUE_PREFIX);
  const predictionLog = new PredictionLog(store, {
    sampleRate: config.TM_PREDICTION_SAMPLE_RATE,
    maxPerSecond: config.TM_PREDICTION_LOG_MAX_PER_SECOND,
    onError: (err) => log.warn({ err: (err as Error).message }, 'prediction log write failed'),
  });
  const app = buildApp({
    models,
    registry,
    redisOk: readiness.ok,
    keys,
    log: log.child({ component: 'http' }),
    maxBatchRows: config.TM_MAX_BATCH_ROWS,
    training,
    schedule,
    predictionLog,
    announce: (name) => changes.announce(name),
    batches: {
      store,
      rowsPerChunk: config.TM_BATCH_CHUNK_ROWS,
      maxUploadBytes: config.TM_MAX_UPLOAD_BYTES,
      queueReady: readiness.ok,
      enqueue: (id, chunks, requestId) => batches.enqueue(id, chunks, requestId),
      status: (id) => batches.status(id),
      queue: batches.predictQueue,
    },
  });
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST });
  const drain = drainable(server as Server);
  answerClientErrors(server);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${(server.address() as AddressInfo).port}`;
  log.info({ url, model: config.TM_MODEL_NAME, version: models.model?.version ?? null }, 'API listening');
  return {
    url,
    models,
    async close(deadlineMs = config.TM_API_SHUTDOWN_SECONDS * 1000) {
      models.stop();
      changes.close();
      const outcome = await drain.close(deadlineMs);
      log.info({ outcome }, outcome === 'drained' ? 'API drained' : 'API shutdown deadline passed: open connections cut');
      await Promise.all([training.close(), schedule.close(), batches.close(), predictionLog.close()]);
      conn.disconnect();
      readiness.close();
    },
  };
}

/** Lets admins start runs: a producer on the queues and defaults from the retraining settings. */
async function trainingControl(config: Config, conn: RedisClient, store: ArtifactStore) {
  const producer = new RunProducer(conn, config.TM_QUEUE_PREFIX);
  const queues = Object.fromEntries(STAGES.map((s) => [s, quietRedis(new Queue(QUEUE_OF[s], { connection: conn, prefix: config.TM_QUEUE_PREFIX }))])) as Record<StageName, Queue>;
  return {
    enqueue: (run: RunSpecInput, requestId?: string) => producer.enqueue(run, requestId),
    cancel: (runId: string) => cancelRun(conn, config.TM_QUEUE_PREFIX, store, runId, { settleMs: 0, reason: 'DELETE /v1/training-runs', tracker: trackerFrom(config, store) }),
    queues,
    store,
    defaults: await retrainTemplate(config),
    source: sourceFromArg,
    dataRoots: config.TM_DATA_ROOTS.split(',').map((r) => r.trim()).filter(Boolean).map((r) => resolve(r)),
    async close() {
      await producer.close();
      await Promise.all(Object.values(queues).map((q) => q.close()));
    },
  };
}
