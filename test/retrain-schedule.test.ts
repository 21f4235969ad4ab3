import { Queue, Worker } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { attackDataset } from './helpers/synthetic.js';
import { RunProducer } from '../workers/flow.js';
import { QUEUE_OF, redisConnection } from '../workers/queues.js';
import { RETRAIN_QUEUE, retrainProcessor, syncRetrainSchedule } from '../workers/retrain.js';
import { dropPrefix, REDIS_URL, testPrefix } from './helpers/redis.js';

describe('scheduled retraining', () => {
  const prefix = testPrefix('retrain');
  const conn = redisConnection(REDIS_URL, 'worker');
  const queue = new Queue(RETRAIN_QUEUE, { connection: conn, prefix });
  const producer = new RunProducer(conn, prefix);
  const worker = new Worker(RETRAIN_QUEUE, retrainProcessor(producer), { connection: conn, prefix });
  const template = { modelName: 'attacks', source: { kind: 'csv' as const, path: '/data/attacks.csv' }, schema: attackDataset(1).schema as Record<string, unknown> };

  afterAll(async () => {
    await worker.close();
    await queue.close();
    await producer.close();
    await dropPrefix(conn, prefix);
    conn.disconnect();
  });

  it('is off unless a cron pattern is configured', async () => {
    expect(await syncRetrainSchedule(queue)).toBe('off');
    expect(await queue.getJobSchedulers()).toEqual([]);
  });

  it('enqueues a training run flow on each firing, then stops when unconfigured', async () => {
    expect(await syncRetrainSchedule(queue, { cron: '* * * * * *', tz: 'UTC', template })).toBe('scheduled');
    const register = new Queue(QUEUE_OF.register, { connection: conn, prefix });
    let runs: string[] = [];
    for (let i = 0; i < 50 && !runs.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      runs = (await register.getJobs(['waiting-children', 'waiting'])).map((j) => j.id!).filter((id) => id.startsWith('retrain-'));
    }
    expect(runs[0]).toMatch(/^retrain-\d+-register$/);
    const ingestQueue = new Queue(QUEUE_OF.ingest, { connection: conn, prefix });
    const [ingest] = await ingestQueue.getJobs(['waiting']);
    await ingestQueue.close();
    expect(ingest.data.run).toMatchObject({ modelName: 'attacks', source: template.source });
    expect(await syncRetrainSchedule(queue)).toBe('off');
    expect(await queue.getJobSchedulers()).toEqual([]);
    await register.close();
  });
});

describe('scheduled retraining from a source with credentials', () => {
  const prefix = testPrefix('retrain-secret');
  const conn = redisConnection(REDIS_URL, 'worker');
  const queue = new Queue(RETRAIN_QUEUE, { connection: conn, prefix });
  const producer = new RunProducer(conn, prefix);
  const SECRET = 'Retrain-pw-51d0e7';
  const source = { kind: 'mongodb' as const, uri: `mongodb://svc:${SECRET}@db.example/tm`, db: 'tm', collection: 'attacks' };
  const worker = new Worker(RETRAIN_QUEUE, retrainProcessor(producer, { source }), { connection: conn, prefix });
  const template = { modelName: 'attacks', source, schema: attackDataset(1).schema as Record<string, unknown> };

  afterAll(async () => {
    await worker.close();
    await queue.close();
    await producer.close();
    await dropPrefix(conn, prefix);
    conn.disconnect();
  });

  it('keeps the password out of the scheduler and the run jobs, and holds it for the ingest stage', async () => {
    await syncRetrainSchedule(queue, { cron: '* * * * * *', tz: 'UTC', template });
    const ingestQueue = new Queue(QUEUE_OF.ingest, { connection: conn, prefix });
    let ingest;
    for (let i = 0; i < 50 && !ingest; i++) {
      await new Promise((r) => setTimeout(r, 100));
      [ingest] = await ingestQueue.getJobs(['waiting']);
    }
    await syncRetrainSchedule(queue);
    await ingestQueue.close();
    expect(ingest!.data.run.source).toMatchObject({ uri: 'mongodb://svc:***@db.example/tm', heldSecret: true });
    const values: string[] = [];
    for (const k of await conn.keys(`${prefix}:*`)) {
      const type = await conn.type(k);
      if (type === 'hash') values.push(JSON.stringify(await conn.hgetall(k)));
      else if (type === 'string') values.push(k.includes(':run-secret:') ? '' : ((await conn.get(k)) ?? ''));
    }
    expect(values.join(' ')).not.toContain(SECRET);
    expect(await conn.get(`${prefix}:run-secret:${ingest!.data.run.runId}`)).toBe(source.uri);
  });
});
