import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { loadConfig } from '../schema/index.js';
import { startApi, type RunningApi } from '../api/start-api.js';
import { startPredictWorker } from '../workers/predict-worker.js';
import { redisConnection } from '../workers/queues.js';
import { repoPath } from './helpers/datasets.js';
import { startOwnRedis } from './helpers/own-redis.js';
import { dropTestState, testPrefix } from './helpers/redis.js';
import { trainPhishing } from './helpers/served.js';

describe('async batches while Redis is down', () => {
  const prefix = testPrefix('redis-down');
  const key = 'k-redis-down';
  let dir: string;
  let redis: Awaited<ReturnType<typeof startOwnRedis>> | undefined;
  let api: RunningApi | undefined;
  const closers: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    await api?.close().catch(() => undefined);
    await redis?.stop();
    await dropTestState(prefix, dir);
  });

  it('refuses a batch fast with 503 and keeps nothing; after Redis returns a batch is taken and every row scored', { timeout: 150_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-redis-down-'));
    redis = await startOwnRedis();
    const artifacts = join(dir, 'artifacts');
    const store = new LocalArtifactStore(artifacts);
    await trainPhishing(store);
    const config = loadConfig({ REDIS_URL: redis.url, TM_QUEUE_PREFIX: prefix, TM_ARTIFACTS: artifacts, PORT: '0', HOST: '127.0.0.1', TM_API_KEYS_PREDICT: key, LOG_LEVEL: 'silent' });
    api = await startApi(config, pino({ level: 'silent' }));
    const csv = (await readFile(repoPath('data/phishing.csv'), 'utf8')).split('\n').slice(0, 301).join('\n') + '\n';
    const post = () =>
      fetch(`${api!.url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${key}` }, body: csv, signal: AbortSignal.timeout(60_000) });
    // Warm: the producer's connection is up before Redis goes.
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);

    await redis.stop('SIGKILL');
    const started = Date.now();
    const refused = await post();
    expect(refused.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('queue_unavailable');
    expect(await store.list('batches/')).toEqual([]);

    await redis.restart();
    const conn = redisConnection(redis.url, 'worker');
    const worker = startPredictWorker({ connection: conn, prefix, store });
    closers.push(async () => {
      await worker.close();
      conn.disconnect();
    });
    let accepted = await post();
    // The producer reconnects on its own; give it a few tries.
    for (let i = 0; i < 20 && accepted.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 500));
      accepted = await post();
    }
    expect(accepted.status).toBe(202);
    const { batchId } = (await accepted.json()) as { batchId: string };
    let status: { state: string; counts?: { scored: number; invalid: number } } = { state: 'queued' };
    for (let i = 0; i < 120 && status.state !== 'completed' && status.state !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      status = (await (await fetch(`${api.url}/v1/batches/${batchId}`, { headers: { authorization: `Bearer ${key}` } })).json()) as typeof status;
    }
    expect(status.state).toBe('completed');
    expect(status.counts).toEqual({ scored: 300, invalid: 0 });
  });
});
