import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { ModelHolder } from '../api/serving/model-holder.js';
import { CsvFileSource } from '../core/adapters/csv-file-source.js';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { getJson } from '../core/artifacts/json.js';
import { runKeys } from '../core/pipeline/run-keys.js';
import { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { STAGES, type StageName } from '../schema/jobs.js';
import { sourceFromArg } from '../schema/source-arg.js';
import { RunProducer } from '../workers/flow.js';
import { QUEUE_OF, redisConnection } from '../workers/queues.js';
import { cancelRun } from '../workers/run-control.js';
import { startStageWorkers, type StageWorkers } from '../workers/stage-workers.js';
import { dropPrefix, REDIS_URL, testPrefix } from './helpers/redis.js';
import { attackDataset } from './helpers/synthetic.js';

describe('training runs through the API', () => {
  const prefix = testPrefix('api-train');
  const { csv, schema } = attackDataset(800, 61);
  let dir: string;
  let conn: Redis;
  let workers: StageWorkers;
  let server: ServerType;
  let base: string;
  let queues: Record<StageName, Queue>;
  let producer: RunProducer;
  const ADMIN = 'admin-key';
  let finishedRun = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-api-train-'));
    await writeFile(join(dir, 'attacks.csv'), csv);
    const store = new LocalArtifactStore(join(dir, 'artifacts'));
    const registry = new ArtifactRegistry(store);
    conn = redisConnection(REDIS_URL, 'worker');
    workers = startStageWorkers({ connection: conn, prefix, deps: { store, registry, source: (s) => new CsvFileSource(s.kind === 'csv' ? s.path : ''), promotion: { metric: 'macroF1', minDelta: 0 } } });
    producer = new RunProducer(conn, prefix);
    queues = Object.fromEntries(STAGES.map((s) => [s, new Queue(QUEUE_OF[s], { connection: conn, prefix })])) as Record<StageName, Queue>;
    const app = buildApp({
      models: new ModelHolder('attacks', registry, store),
      registry,
      redisOk: async () => true,
      keys: { predict: [], admin: [ADMIN] },
      training: { enqueue: (run, requestId) => producer.enqueue(run, requestId), cancel: (id) => cancelRun(conn, prefix, store, id, { settleMs: 0 }), queues, store, defaults: { modelName: 'attacks', source: { kind: 'csv', path: join(dir, 'attacks.csv') }, schema }, source: sourceFromArg, dataRoots: [dir] },
    });
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await workers.close(5_000);
    await Promise.all(Object.values(queues).map((q) => q.close()));
    await producer.close();
    await dropPrefix(conn, prefix);
    conn.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  const call = (method: string, path: string, body?: object) =>
    fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body && JSON.stringify(body) });

  it('enqueues a run, reports each stage while it runs, and its metrics and reports when done', async () => {
    const res = await fetch(`${base}/v1/training-runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', 'x-request-id': 'trace-train-1' },
      body: JSON.stringify({ data: join(dir, 'attacks.csv'), families: ['decision_tree'] }),
    });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    finishedRun = runId;
    let detail: { stages: { stage: string; state: string }[]; result?: { version: number }; validation?: { ok: boolean }; drift?: object } = { stages: [] };
    for (let i = 0; i < 300 && !detail.result; i++) {
      await new Promise((r) => setTimeout(r, 100));
      detail = (await (await call('GET', `/v1/training-runs/${runId}`)).json()) as typeof detail;
    }
    expect(detail.result).toMatchObject({ version: 1, promoted: true, failures: [] });
    expect(detail).toMatchObject({ state: 'succeeded', failures: [] });
    expect(detail.validation).toMatchObject({ ok: true });
    expect(detail.drift).toBeDefined();
    expect(detail.stages.map((s) => s.stage)).toEqual(expect.arrayContaining(['ingest', 'validate', 'transform', 'train', 'train-family']));
    const list = (await (await call('GET', '/v1/training-runs')).json()) as { runs: { runId: string; finished: boolean; cancelled: boolean }[] };
    expect(list.runs).toContainEqual({ runId, finished: true, cancelled: false });
    // The request id travels into every job of the run (their worker logs carry it).
    for (const stage of STAGES) {
      const jobs = (await queues[stage].getJobs(['completed'])).filter((j) => j.id?.startsWith(`${runId}-`));
      expect(jobs.length, stage).toBeGreaterThan(0);
      for (const j of jobs) expect((j.data as { requestId?: string }).requestId, j.id).toBe('trace-train-1');
    }
  });

  it('refuses bad options, unknown runs, and callers without the admin key', async () => {
    const bad = await call('POST', '/v1/training-runs', { families: [] });
    expect(bad.status).toBe(422);
    expect((await call('GET', '/v1/training-runs/run-nope')).status).toBe(404);
    const features = Array.from({ length: 12 }, (_, i) => ({ name: `f${i}`, kind: 'number' }));
    const badSchema = await call('POST', '/v1/training-runs', { schema: { name: 'x', features, label: { name: 'y', classes: ['a', 'b'], threat: ['a'] } } });
    expect(badSchema.status).toBe(422);
    const { error } = (await badSchema.json()) as { error: { code: string; details: { field: string; message: string }[] } };
    expect(error.code).toBe('invalid_schema');
    expect(error.details).toEqual([{ field: 'schema.features[].kind', rule: 'dataset-schema', message: expect.stringMatching(/kind must be numeric or categorical \(found "number"\), in 12 features: f0, /) }]);
    expect((await fetch(`${base}/v1/training-runs`)).status).toBe(401);
  });

  it('takes testSize, refitAll and allowPartial in the body and refuses a test share outside (0, 1)', async () => {
    const bad = await call('POST', '/v1/training-runs', { testSize: 1.5 });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(await bad.json())).toMatch(/testSize/);
    const res = await call('POST', '/v1/training-runs', { families: ['decision_tree'], testSize: 0.5, refitAll: true, allowPartial: true });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    let detail: { state?: string; result?: { refitAll: boolean }; stages: { stage: string; state: string }[] } = { stages: [] };
    for (let i = 0; i < 300 && !detail.result; i++) {
      await new Promise((r) => setTimeout(r, 100));
      detail = (await (await call('GET', `/v1/training-runs/${runId}`)).json()) as typeof detail;
    }
    expect(detail).toMatchObject({ state: 'succeeded', result: { refitAll: true } });
    const validate = await queues.validate.getJob(`${runId}-validate`);
    expect(validate?.returnvalue).toMatchObject({ trainRows: 400, testRows: 400 });
    const registry = new ArtifactRegistry(new LocalArtifactStore(join(dir, 'artifacts')));
    const manifest = (await registry.versions('attacks')).find((m) => m.runId === runId);
    expect(manifest).toMatchObject({ allowPartial: true, evaluation: { metricsOn: 'held-out test rows', trainRows: 400, testRows: 400, refitOnAllRows: true } });
    // The registered pipeline is the refit on all 800 rows, not the one evaluated on 400.
    const registered = await registry.get('attacks', manifest!.version);
    const evaluated = JSON.parse(await readFile(join(dir, 'artifacts', `runs/${runId}/train/decision_tree/pipeline.json`), 'utf8')) as object;
    expect(JSON.stringify(registered!.model)).not.toEqual(JSON.stringify(evaluated));
  });

  it('cancels a run with DELETE (202), after which it shows state cancelled and holds no queued or running job; 404 unknown, 409 finished', async () => {
    expect((await call('DELETE', '/v1/training-runs/run-nope')).status).toBe(404);
    const finished = await call('DELETE', `/v1/training-runs/${finishedRun}`);
    expect(finished.status).toBe(409);
    expect(((await finished.json()) as { error: { code: string } }).error.code).toBe('conflict');
    expect((await fetch(`${base}/v1/training-runs/${finishedRun}`, { method: 'DELETE' })).status).toBe(401);
    const { runId } = (await (await call('POST', '/v1/training-runs', { families: ['mlp', 'random_forest'] })).json()) as { runId: string };
    const res = await call('DELETE', `/v1/training-runs/${runId}`);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ runId, state: 'cancelled' });
    const live = async () => (await Promise.all(Object.values(queues).map((q) => q.getJobs(['active', 'waiting', 'delayed', 'prioritized'])))).flat().filter((j) => j?.id?.startsWith(`${runId}-`));
    for (let i = 0; i < 100 && (await live()).length; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await live()).toEqual([]);
    const detail = (await (await call('GET', `/v1/training-runs/${runId}`)).json()) as { state: string; cancelled?: { reason: string } };
    expect(detail).toMatchObject({ state: 'cancelled', cancelled: { reason: 'cancelled' } });
    const list = (await (await call('GET', '/v1/training-runs')).json()) as { runs: { runId: string }[] };
    expect(list.runs).toContainEqual({ runId, finished: false, cancelled: true });
  });

  it('takes a time budget and a run file, and refuses an override that breaks a param rule, naming its path', async () => {
    const bad = await call('POST', '/v1/training-runs', { config: { search: { gradient_boosting: { grid: { learningRate: [0.1, -1] } } } } });
    expect(bad.status).toBe(422);
    const { error } = (await bad.json()) as { error: { details: { field: string; message: string }[] } };
    expect(error.details).toEqual([{ field: 'config.search.gradient_boosting.grid.learningRate[1]', rule: 'param-rule', message: 'must be > 0' }]);
    const res = await call('POST', '/v1/training-runs', { families: ['decision_tree'], timeBudgetSeconds: 60, config: { folds: 2, search: { decision_tree: { grid: { maxDepth: [3] } } } } });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    let detail: { result?: { version: number } } = {};
    for (let i = 0; i < 300 && !detail.result; i++) {
      await new Promise((r) => setTimeout(r, 100));
      detail = (await (await call('GET', `/v1/training-runs/${runId}`)).json()) as typeof detail;
    }
    const store = new LocalArtifactStore(join(dir, 'artifacts'));
    const spec = await getJson<{ timeBudgetSeconds: number; deadline: number; folds: number }>(store, runKeys(runId).spec);
    expect(spec).toMatchObject({ timeBudgetSeconds: 60, folds: 2, deadline: expect.any(Number) });
    expect(await getJson(store, runKeys(runId).familyResult('decision_tree'))).toMatchObject({ params: { maxDepth: 3 } });
  });

  it('reports queue depths in /metrics', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/tm_queue_jobs\{queue="register",state="completed"\} [1-9]/);
    expect(text).toMatch(/tm_queue_jobs\{queue="train-family",state="waiting"\} 0/);
  });

  it('serves Bull Board for every queue behind Basic auth', async () => {
    expect((await fetch(`${base}/admin/queues`)).status).toBe(401);
    const wrong = `Basic ${Buffer.from('admin:nope').toString('base64')}`;
    expect((await fetch(`${base}/admin/queues`, { headers: { authorization: wrong } })).status).toBe(401);
    const auth = { authorization: `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}` };
    const page = await fetch(`${base}/admin/queues`, { headers: auth });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const api = (await (await fetch(`${base}/admin/queues/api/queues`, { headers: auth })).json()) as { queues: { name: string }[] };
    expect(api.queues.map((q) => q.name).sort()).toEqual(['ingest', 'register', 'train', 'train-family', 'transform', 'validate']);
  });
});
