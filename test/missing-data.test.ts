import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { repoPath } from './helpers/datasets.js';
import { processAlive } from './helpers/processes.js';
import { dropTestState, REDIS_URL, testPrefix } from './helpers/redis.js';

const cli = repoPath('api/bin/threatmatrix.mjs');

describe('a training run on data that is not there', () => {
  const prefix = testPrefix('missing');
  let dir: string;
  let worker: ChildProcess | undefined;
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await dropTestState(prefix, dir);
  });

  it('fails once, naming the file, and the worker process serving it stays up', { timeout: 120_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-missing-'));
    const env = { ...process.env, REDIS_URL, TM_QUEUE_PREFIX: prefix, TM_ARTIFACTS: join(dir, 'artifacts'), LOG_LEVEL: 'warn' };
    worker = spawn(process.execPath, [cli, 'worker'], { cwd: repoPath(''), env, stdio: ['ignore', 'ignore', 'pipe'] });
    let workerLog = '';
    worker.stderr!.on('data', (d: Buffer) => (workerLog += d.toString()));

    const missing = join(dir, 'no-such-file.csv');
    const train = spawn(process.execPath, [cli, 'train', '--data', missing, '--follow', '--local-worker', 'never'], { cwd: repoPath(''), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    train.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => train.once('exit', resolve));
    expect(code).toBe(1);
    const runId = /run (run-\S+) failed/.exec(stderr)?.[1];
    expect(stderr).toContain(`run ${runId} failed at ingest: DataError: cannot read the data file ${missing}: no such file`);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace

    // Retrying cannot bring the file: one attempt, failed for good.
    const redis = new Redis(REDIS_URL);
    const ingest = new Queue('ingest', { connection: redis, prefix });
    const job = await ingest.getJob(`${runId}-ingest`);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toContain(missing);
    await ingest.close();
    redis.disconnect();

    expect(processAlive(worker.pid!)).toBe(true);
    expect(workerLog).not.toMatch(/uncaught|unhandled/);
  });
});
