import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsvFileSource } from '../core/adapters/csv-file-source.js';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { getJson } from '../core/artifacts/json.js';
import { runKeys } from '../core/pipeline/run-keys.js';
import { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import type { ValidationReport } from '../core/validation/validate-dataset.js';
import { RunProducer } from '../workers/flow.js';
import { QUEUE_OF, redisConnection } from '../workers/queues.js';
import { startStageWorkers, type StageWorkers } from '../workers/stage-workers.js';
import { attackDataset } from './helpers/synthetic.js';
import { dropPrefix, REDIS_URL, testPrefix } from './helpers/redis.js';

describe('training runs as BullMQ flows on the real Redis', () => {
  const prefix = testPrefix('flow');
  const { csv, schema } = attackDataset(900, 31);
  let dir: string;
  let workerConn: Redis;
  let producerConn: Redis;
  let workers: StageWorkers;
  let producer: RunProducer;
  let events: QueueEvents;
  let eventsConn: Redis;
  let registry: ArtifactRegistry;
  let store: LocalArtifactStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-flow-'));
    await writeFile(join(dir, 'good.csv'), csv);
    await writeFile(join(dir, 'bad.csv'), csv.replace(/\n(\d+),[\d.]+,/, '\n$1,lots,'));
    store = new LocalArtifactStore(join(dir, 'artifacts'));
    registry = new ArtifactRegistry(store);
    workerConn = redisConnection(REDIS_URL, 'worker');
    producerConn = redisConnection(REDIS_URL, 'producer');
    workers = startStageWorkers({
      connection: workerConn,
      prefix,
      deps: { store, registry, source: (s) => new CsvFileSource(s.kind === 'csv' ? s.path : ''), promotion: { metric: 'macroF1', minDelta: 0 } },
    });
    producer = new RunProducer(producerConn, prefix);
    eventsConn = redisConnection(REDIS_URL, 'worker');
    events = new QueueEvents(QUEUE_OF.register, { connection: eventsConn, prefix });
    await events.waitUntilReady();
  });

  afterAll(async () => {
    await workers?.close(5_000);
    await producer?.close();
    await events?.close();
    eventsConn?.disconnect();
    await dropPrefix(workerConn, prefix);
    workerConn?.disconnect();
    producerConn?.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  const run = (runId: string, file: string, families = ['decision_tree', 'random_forest', 'knn']) => ({
    runId,
    modelName: 'attacks',
    source: { kind: 'csv' as const, path: join(dir, file) },
    schema,
    families,
  });

  it('runs every stage, fans out one job per family and registers v1 as production', async () => {
    const node = await producer.enqueue(run('flow-ok', 'good.csv'));
    const result = await node.job.waitUntilFinished(events, 60_000);
    expect(result).toMatchObject({ version: 1, promoted: true });
    expect(await registry.alias('attacks', 'production')).toBe(1);
    const familyQueue = new Queue(QUEUE_OF['train-family'], { connection: workerConn, prefix });
    const family = await Job.fromId(familyQueue, 'flow-ok-train-family-knn');
    expect(family?.returnvalue).toMatchObject({ family: 'knn', pipelineKey: runKeys('flow-ok').familyPipeline('knn') });
    await familyQueue.close();
  });

  it('ends a run whose CSV breaks the schema as failed, without retries, report stored', async () => {
    const node = await producer.enqueue(run('flow-bad', 'bad.csv'));
    await expect(node.job.waitUntilFinished(events, 60_000)).rejects.toThrow();
    const report = await getJson<ValidationReport>(store, runKeys('flow-bad').validation);
    expect(report?.ok).toBe(false);
    expect(report?.issues[0]).toMatchObject({ rule: 'numeric', column: 'bytes' });
    const validateQueue = new Queue(QUEUE_OF.validate, { connection: workerConn, prefix });
    const validateJob = await Job.fromId(validateQueue, 'flow-bad-validate');
    expect(validateJob?.attemptsMade).toBe(1);
    expect(validateJob?.failedReason).toMatch(/DataError: column bytes must hold numbers/);
    await validateQueue.close();
  });
});
