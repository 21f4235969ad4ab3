import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { parse as parseYaml } from 'yaml';
import { CsvFileSource } from '../../core/adapters/csv-file-source.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';
import { runLocally } from '../../core/pipeline/run-locally.js';
import { ArtifactRegistry } from '../../core/registry/artifact-registry.js';
import { RunSpec } from '../../schema/jobs.js';
import { buildApp } from '../../api/app.js';
import { answerClientErrors } from '../../api/client-errors.js';
import { ModelHolder } from '../../api/serving/model-holder.js';
import type { PredictionLog } from '../../api/serving/prediction-log.js';
import { BatchProducer } from '../../workers/batches.js';
import { startPredictWorker } from '../../workers/predict-worker.js';
import { redisConnection } from '../../workers/queues.js';
import { repoPath } from './datasets.js';
import { dropPrefix, REDIS_URL } from './redis.js';

/** Trains and registers a phishing model (one family, quick) in `store` as the production version. */
export async function trainPhishing(store: ArtifactStore, runId = 'test-run', families = ['decision_tree']): Promise<ArtifactRegistry> {
  const registry = new ArtifactRegistry(store);
  const schema = parseYaml(readFileSync(repoPath('schema/phishing.yaml'), 'utf8')) as Record<string, unknown>;
  const run = RunSpec.parse({ runId, modelName: 'phishing', source: { kind: 'csv', path: repoPath('data/phishing.csv') }, schema, families });
  await runLocally(run, { store, registry, source: (s) => new CsvFileSource(s.kind === 'csv' ? s.path : ''), promotion: { metric: 'f1', minDelta: 0 } });
  return registry;
}

/** Serves a fetch handler on a free loopback port; resolves with its base URL and server. */
export async function listen(fetch: (req: Request) => Response | Promise<Response>): Promise<{ base: string; server: ServerType; close(): Promise<void> }> {
  const server = serve({ fetch, port: 0, hostname: '127.0.0.1' });
  answerClientErrors(server);
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, server, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/**
 * The API with async batches on the real Redis and a predict worker in this process (the embedded
 * layout of `threatmatrix start`), serving the production model `model` (default phishing) of
 * `store`. Closing drops the test's Redis keys.
 */
export async function startBatchApi(
  store: ArtifactStore,
  registry: ArtifactRegistry,
  o: { prefix: string; key: string; adminKey?: string; rowsPerChunk?: number; explainRowsPerChunk?: number; maxUploadBytes?: number; model?: string; lockDuration?: number; stalledInterval?: number; predictionLog?: PredictionLog; predictionSampleRate?: number; maxJsonBytes?: number },
) {
  const models = new ModelHolder(o.model ?? 'phishing', registry, store);
  await models.refresh();
  const conn = redisConnection(REDIS_URL, 'worker');
  const producer = new BatchProducer(conn, o.prefix);
  const worker = startPredictWorker({ connection: conn, prefix: o.prefix, store, lockDuration: o.lockDuration, stalledInterval: o.stalledInterval, predictionSampleRate: o.predictionSampleRate });
  const app = buildApp({
    models,
    registry,
    redisOk: async () => true,
    keys: { predict: [o.key], admin: o.adminKey ? [o.adminKey] : [] },
    predictionLog: o.predictionLog,
    maxJsonBytes: o.maxJsonBytes,
    batches: { store, rowsPerChunk: o.rowsPerChunk, explainRowsPerChunk: o.explainRowsPerChunk, maxUploadBytes: o.maxUploadBytes, enqueue: (id, chunks, requestId) => producer.enqueue(id, chunks, requestId), status: (id) => producer.status(id), queue: producer.predictQueue },
  });
  const http = await listen(app.fetch);
  return {
    ...http,
    worker,
    models,
    async close() {
      await http.close();
      await worker.close();
      await producer.close();
      await dropPrefix(conn, o.prefix);
      conn.disconnect();
    },
  };
}
