import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import type { TrainingControl } from '../api/routes/training-runs.js';
import { ModelHolder } from '../api/serving/model-holder.js';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { loadConfig, STAGES, type StageName } from '../schema/index.js';
import { RunProducer } from '../workers/flow.js';
import { QUEUE_OF, redisConnection } from '../workers/queues.js';
import { RETRAIN_QUEUE, RetrainScheduler, retrainProcessor, ScheduleError } from '../workers/retrain.js';
import { runWorkers } from '../workers/run-workers.js';
import { sourceFromArg } from '../schema/source-arg.js';
import { repoPath } from './helpers/datasets.js';
import { dropPrefix, REDIS_URL, testPrefix } from './helpers/redis.js';
import { listen } from './helpers/served.js';
import { attackDataset } from './helpers/synthetic.js';

const silent = pino({ level: 'silent' });

describe('scheduled retraining', () => {
  const prefix = testPrefix('retrain');
  const conn = redisConnection(REDIS_URL, 'worker');
  const scheduler = new RetrainScheduler(conn, prefix);
  const producer = new RunProducer(conn, prefix);
  const template = { modelName: 'attacks', source: { kind: 'csv' as const, path: '/data/attacks.csv' }, schema: attackDataset(1).schema as Record<string, unknown> };
  const closers: (() => Promise<unknown>)[] = [];

  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await scheduler.close();
    await producer.close();
    await dropPrefix(conn, prefix);
    conn.disconnect();
  });

  it('is off until someone sets it, and refuses a bad pattern or time zone', async () => {
    expect(await scheduler.show()).toBeUndefined();
    await expect(scheduler.set({ cron: '61 3 * * *', tz: 'UTC', template }, 'test')).rejects.toThrow(ScheduleError);
    await expect(scheduler.set({ cron: '0 3 * * *', tz: 'Mars/Olympus', template }, 'test')).rejects.toThrow(/time zone Mars\/Olympus/);
    expect(await scheduler.show()).toBeUndefined();
  });

  it('enqueues a training run flow on each firing, says who set it, and stops when turned off', async () => {
    const worker = new Worker(RETRAIN_QUEUE, retrainProcessor(producer), { connection: conn, prefix });
    closers.push(() => worker.close());
    const set = await scheduler.set({ cron: '* * * * * *', tz: 'UTC', template }, 'cli:tester');
    expect(set).toMatchObject({ cron: '* * * * * *', tz: 'UTC', setBy: 'cli:tester', template });
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
    expect(await scheduler.off()).toBe(true);
    expect(await scheduler.show()).toBeUndefined();
    expect(await scheduler.off()).toBe(false);
    await register.close();
  });

  it('survives a worker starting without TM_RETRAIN_CRON; TM_RETRAIN_CRON only creates one where none exists', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tm-schedule-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const config = (env: Record<string, string>) => loadConfig({ REDIS_URL, TM_QUEUE_PREFIX: prefix, TM_ARTIFACTS: dir, TM_RETRAIN_DATA: repoPath('data/phishing.csv'), TM_RETRAIN_SCHEMA: repoPath('schema/phishing.yaml'), ...env });
    await scheduler.set({ cron: '0 3 * * *', tz: 'Europe/Paris', template }, 'api');
    // A worker without the variable (the defect: it removed the fleet's schedule).
    let workers = await runWorkers(config({}), silent, { queues: [] });
    await workers.close();
    expect(await scheduler.show()).toMatchObject({ cron: '0 3 * * *', tz: 'Europe/Paris', setBy: 'api' });
    // One with another pattern keeps the fleet's schedule too.
    workers = await runWorkers(config({ TM_RETRAIN_CRON: '0 4 * * *' }), silent, { queues: [] });
    await workers.close();
    expect(await scheduler.show()).toMatchObject({ cron: '0 3 * * *', setBy: 'api' });
    // With none, the variable creates it.
    await scheduler.off();
    workers = await runWorkers(config({ TM_RETRAIN_CRON: '0 4 * * *' }), silent, { queues: [] });
    await workers.close();
    expect(await scheduler.show()).toMatchObject({ cron: '0 4 * * *', tz: 'UTC', setBy: 'TM_RETRAIN_CRON', template: { modelName: 'phishing' } });
    await scheduler.off();
  });

  it('refuses a TM_RETRAIN_CRON that is not a cron pattern at start-up, naming it', () => {
    expect(() => loadConfig({ TM_RETRAIN_CRON: 'every day' })).toThrow(/TM_RETRAIN_CRON/);
    expect(() => loadConfig({ TM_RETRAIN_TZ: 'Nowhere/Land' })).toThrow(/TM_RETRAIN_TZ/);
  });

  it('is shown, set and removed with `threatmatrix schedule`', () => {
    const env = { ...process.env, REDIS_URL, TM_QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' };
    const cli = (...args: string[]) => spawnSync(process.execPath, [repoPath('api/bin/threatmatrix.mjs'), 'schedule', ...args], { cwd: repoPath(''), env, encoding: 'utf8' });
    let r = cli('set', '--cron', '30 2 * * 1', '--tz', 'UTC', '--time-budget', '2m');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cron "30 2 \* \* 1" \(UTC\), next \d{4}-/);
    expect(r.stdout).toMatch(/trains phishing on \S*data\/phishing\.csv, budget 120 s\nset by cli:/);
    r = cli('set', '--cron', 'not a cron');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/"not a cron" in time zone UTC is not a cron pattern/);
    r = cli('off');
    expect(r.stdout).toContain('retraining schedule removed');
    expect(cli('show').stdout).toContain('no retraining schedule');
  }, 240_000);

  it('has admin routes: GET, PUT (422 naming the field) and DELETE /v1/retrain-schedule', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tm-schedule-api-'));
    const store = new LocalArtifactStore(dir);
    const registry = new ArtifactRegistry(store);
    const queues = Object.fromEntries(STAGES.map((s) => [s, new Queue(QUEUE_OF[s], { connection: conn, prefix })])) as Record<StageName, Queue>;
    const training: TrainingControl = {
      enqueue: async () => undefined,
      cancel: async () => ({ state: 'unknown' }),
      queues,
      store,
      defaults: { ...template, timeBudgetSeconds: 240 },
      source: sourceFromArg,
      dataRoots: [repoPath('data')],
    };
    const app = buildApp({ models: new ModelHolder('attacks', registry, store), registry, redisOk: async () => true, keys: { predict: ['p-key'], admin: ['a-key'] }, training, schedule: scheduler });
    const server = await listen(app.fetch);
    await scheduler.off();
    closers.push(async () => {
      await server.close();
      await Promise.all(Object.values(queues).map((q) => q.close()));
      await rm(dir, { recursive: true, force: true });
    });
    const call = (method: string, body?: object, key = 'a-key') =>
      fetch(`${server.base}/v1/retrain-schedule`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    expect(await (await call('GET')).json()).toEqual({ schedule: null });
    expect((await call('GET', undefined, 'p-key')).status).toBe(403);
    const bad = await call('PUT', { cron: '0 25 * * *' });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: { details: { field: string }[] } }).error.details[0].field).toBe('cron');
    const put = await call('PUT', { cron: '15 1 * * *', data: 'mongodb://user:hunter2@db.example:27017/tm', timeBudgetSeconds: 60 });
    const body = (await put.json()) as Record<string, unknown>;
    expect(put.status).toBe(200);
    expect(body).toMatchObject({ cron: '15 1 * * *', tz: 'UTC', modelName: 'attacks', timeBudgetSeconds: 60, setBy: expect.stringMatching(/^api:[0-9a-f]{12}$/) });
    expect(JSON.stringify(body)).not.toContain('hunter2');
    // Stored without the password: the configured source supplies credentials when the run starts.
    expect(JSON.stringify((await scheduler.show())!.template.source)).not.toContain('hunter2');
    expect(await (await call('DELETE')).json()).toEqual({ removed: true });
    expect(await scheduler.show()).toBeUndefined();
  });
});

describe('scheduled retraining from a source with credentials', () => {
  const prefix = testPrefix('retrain-secret');
  const conn = redisConnection(REDIS_URL, 'worker');
  const scheduler = new RetrainScheduler(conn, prefix);
  const producer = new RunProducer(conn, prefix);
  const SECRET = 'Retrain-pw-51d0e7';
  const source = { kind: 'mongodb' as const, uri: `mongodb://svc:${SECRET}@db.example/tm`, db: 'tm', collection: 'attacks' };
  const worker = new Worker(RETRAIN_QUEUE, retrainProcessor(producer, { source }), { connection: conn, prefix });
  const template = { modelName: 'attacks', source, schema: attackDataset(1).schema as Record<string, unknown> };

  afterAll(async () => {
    await worker.close();
    await scheduler.close();
    await producer.close();
    await dropPrefix(conn, prefix);
    conn.disconnect();
  });

  it('keeps the password out of the scheduler and the run jobs, and holds it for the ingest stage', async () => {
    await scheduler.set({ cron: '* * * * * *', tz: 'UTC', template }, 'test');
    const ingestQueue = new Queue(QUEUE_OF.ingest, { connection: conn, prefix });
    let ingest;
    for (let i = 0; i < 50 && !ingest; i++) {
      await new Promise((r) => setTimeout(r, 100));
      [ingest] = await ingestQueue.getJobs(['waiting']);
    }
    await scheduler.off();
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
