import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { RunProducer } from '../workers/flow.js';
import { QUEUE_OF, redisConnection } from '../workers/queues.js';
import { repoPath } from './helpers/datasets.js';
import { dropPrefix, REDIS_URL, testPrefix } from './helpers/redis.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a worker killed in the middle of training', () => {
  const prefix = testPrefix('crash');
  const conn = redisConnection(REDIS_URL, 'worker');
  const children: ChildProcess[] = [];
  let dir: string;

  // Its own process group, so SIGKILL also takes the sandboxed training processes down.
  const startWorker = (env: NodeJS.ProcessEnv) => {
    const child = spawn(process.execPath, [repoPath('api/bin/threatmatrix.mjs'), 'worker'], { cwd: repoPath(''), env, detached: true, stdio: 'ignore' });
    children.push(child);
    return child;
  };
  const killGroup = (child: ChildProcess, signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };

  afterAll(async () => {
    for (const c of children) killGroup(c, 'SIGKILL');
    await dropPrefix(conn, prefix);
    await dropPrefix(conn, `${prefix}-term`);
    conn.disconnect();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is replaced by a second worker that finishes the run: one model version, no half-written files', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-crash-'));
    const artifacts = join(dir, 'artifacts');
    const env = { ...process.env, REDIS_URL, TM_QUEUE_PREFIX: prefix, TM_ARTIFACTS: artifacts, TM_LOCK_DURATION_MS: '2000', TM_STALLED_INTERVAL_MS: '500', LOG_LEVEL: 'warn' };
    const first = startWorker(env);
    const producerConn = redisConnection(REDIS_URL, 'worker');
    const eventsConn = redisConnection(REDIS_URL, 'worker');
    const producer = new RunProducer(producerConn, prefix);
    const events = new QueueEvents(QUEUE_OF.register, { connection: eventsConn, prefix });
    await events.waitUntilReady();
    const node = await producer.enqueue({
      runId: 'crash-run',
      modelName: 'phishing',
      source: { kind: 'csv', path: repoPath('data/phishing.csv') },
      schema: parseYaml(readFileSync(repoPath('schema/phishing.yaml'), 'utf8')) as Record<string, unknown>,
      families: ['gradient_boosting'],
    });
    const families = new Queue(QUEUE_OF['train-family'], { connection: conn, prefix });
    const jobId = 'crash-run-train-family-gradient_boosting';
    for (let i = 0; i < 600; i++) {
      const job = await families.getJob(jobId);
      // Progress is a percentage, or { percent, secondsLeft } while a search runs against a deadline.
      const percent = typeof job?.progress === 'object' ? Number((job.progress as { percent?: number }).percent) : Number(job?.progress);
      if (job && (await job.getState()) === 'active' && percent > 0) break;
      await sleep(100);
    }
    const before = await families.getJob(jobId);
    expect(await before?.getState()).toBe('active');
    killGroup(first, 'SIGKILL');

    startWorker(env);
    const result = await node.job.waitUntilFinished(events, 120_000);
    expect(result).toMatchObject({ version: 1, best: 'gradient_boosting', promoted: true });

    const after = await families.getJob(jobId);
    expect(after?.attemptsStarted).toBeGreaterThanOrEqual(2);
    const registry = new ArtifactRegistry(new LocalArtifactStore(artifacts));
    expect((await registry.versions('phishing')).map((v) => v.version)).toEqual([1]);
    const files = await readdir(artifacts, { recursive: true });
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await families.close();
    await events.close();
    await producer.close();
    producerConn.disconnect();
    eventsConn.disconnect();
  }, 180_000);

  it('drains and exits cleanly on SIGTERM', async () => {
    const env = { ...process.env, REDIS_URL, TM_QUEUE_PREFIX: `${prefix}-term`, TM_ARTIFACTS: join(dir ?? tmpdir(), 'term'), LOG_LEVEL: 'warn' };
    const child = spawn(process.execPath, [repoPath('api/bin/threatmatrix.mjs'), 'worker', '--shutdown-seconds', '5'], { cwd: repoPath(''), env, stdio: 'ignore' });
    children.push(child);
    const ingest = new Queue(QUEUE_OF.ingest, { connection: conn, prefix: `${prefix}-term` });
    for (let i = 0; i < 200 && (await ingest.getWorkersCount()) === 0; i++) await sleep(100);
    expect(await ingest.getWorkersCount()).toBeGreaterThan(0);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const t = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - t).toBeLessThan(10_000);
    await ingest.close();
    await dropPrefix(conn, `${prefix}-term`);
  }, 60_000);
});
