import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowProducer, Queue, UnrecoverableError, Worker } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { dropPrefix, REDIS_URL, testPrefix } from '../test/helpers/redis.js';
import { QUEUE_OF, jobOptionsFor, redisConnection } from './queues.js';
import { cancelRun } from './run-control.js';
import { stageJobId } from './run-jobs.js';

describe('cancelRun', () => {
  const prefix = testPrefix('run-control');
  const conn = redisConnection(REDIS_URL, 'worker');
  let dir: string | undefined;

  afterAll(async () => {
    await dropPrefix(conn, prefix);
    conn.disconnect();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps the failed record of a family job whose parent it removes (the killed job stays visible)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-run-control-'));
    const runId = 'killed-family-run';
    const run = { runId };
    const flows = new FlowProducer({ connection: conn, prefix });
    const family = { name: 'train-family', queueName: QUEUE_OF['train-family'], data: { run }, prefix, opts: jobOptionsFor('train-family', run, 'mlp') };
    const train = { name: 'train', queueName: QUEUE_OF.train, data: { run }, prefix, opts: jobOptionsFor('train', run), children: [family] };
    await flows.add({ name: 'register', queueName: QUEUE_OF.register, data: { run }, prefix, opts: jobOptionsFor('register', run), children: [train] });
    await flows.close();
    // The family job fails as a killed one does; its parent, with no child left to wait for, is released.
    const worker = new Worker(QUEUE_OF['train-family'], async () => {
      throw new UnrecoverableError(`run ${runId} was cancelled`);
    }, { connection: conn, prefix });
    const trainQueue = new Queue(QUEUE_OF.train, { connection: conn, prefix });
    const familyQueue = new Queue(QUEUE_OF['train-family'], { connection: conn, prefix });
    await expect.poll(async () => (await trainQueue.getJob(stageJobId(runId, 'train')))?.getState(), { timeout: 10_000 }).toBe('waiting');
    await worker.close();

    const store = new LocalArtifactStore(join(dir, 'artifacts'));
    // The train job goes, and with it the register job it released.
    expect(await cancelRun(conn, prefix, store, runId, { settleMs: 0 })).toEqual({ state: 'cancelled', removed: 2, stillActive: 0 });
    expect(await trainQueue.getJob(stageJobId(runId, 'train'))).toBeUndefined();
    const killed = await familyQueue.getJob(stageJobId(runId, 'train-family', 'mlp'));
    expect(await killed?.getState()).toBe('failed');
    expect(killed?.failedReason).toBe(`run ${runId} was cancelled`);
    // With its jobs gone, the run has ended: cancelling again stops nothing.
    expect(await cancelRun(conn, prefix, store, runId, { settleMs: 0 })).toEqual({ state: 'finished' });
    await Promise.all([trainQueue.close(), familyQueue.close()]);
  });
});
