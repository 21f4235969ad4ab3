import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startApi, type RunningApi } from '../api/start-api.js';
import { runKeys } from '../core/pipeline/run-keys.js';
import { loadConfig } from '../schema/config.js';
import { RunSpec } from '../schema/jobs.js';
import { stageDepsFrom } from '../workers/wiring.js';
import { REGISTERED_RUN_ARTIFACTS, startFakeMlflow } from './helpers/fake-mlflow.js';
import { dropTestState, REDIS_URL, testPrefix } from './helpers/redis.js';
import { attackDataset } from './helpers/synthetic.js';

const run = promisify(execFile);

describe('a run split across two worker processes, tracked in MLflow', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof startFakeMlflow>> | undefined;
  const prefix = testPrefix('mlflow-split');
  let api: RunningApi | undefined;
  afterEach(async () => {
    await api?.close().catch(() => undefined);
    await dropTestState(prefix);
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('leaves every artifact under the run’s own artifact URI, and the registered source resolves to an MLflow Model', { timeout: 180_000 }, async () => {
    // Artifact URIs name their host (mlflow-artifacts://host:port/...), as a server run with
    // --artifacts-destination behind another address would hand out.
    server = await startFakeMlflow({ artifactRoot: (port) => `mlflow-artifacts://127.0.0.1:${port}` });
    dir = await mkdtemp(join(tmpdir(), 'tm-mlflow-split-'));
    const { csv, schema } = attackDataset(500, 13);
    await writeFile(join(dir, 'a.csv'), csv);
    const spec = RunSpec.parse({ runId: 'run-split', modelName: 'attacks', source: { kind: 'csv', path: join(dir, 'a.csv') }, schema, families: ['decision_tree'] });
    await writeFile(join(dir, 'run.json'), JSON.stringify(spec));
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, MLFLOW_TRACKING_URI: server.uri, MLFLOW_TRACKING_TOKEN: 'tok', TM_ARTIFACTS: join(dir, 'artifacts') };
    const worker = (stages: string) => run(process.execPath, ['--import', 'tsx', 'test/helpers/mlflow-stage-child.ts', join(dir, 'run.json'), stages], { cwd: join(import.meta.dirname, '..'), env, timeout: 150_000 });

    const first = await worker('ingest,validate,transform');
    const second = await worker('train:decision_tree,register');
    expect(`${first.stderr}${second.stderr}`).not.toMatch(/^warn /m);
    expect(JSON.parse(second.stdout)).toMatchObject({ version: 1, promoted: true });

    const runs = [...server.runs.entries()];
    const [parentId, parent] = runs.find(([, r]) => r.name === 'run-split')!;
    const pointer = JSON.parse(await readFile(join(dir, 'artifacts', runKeys('run-split').tracking), 'utf8')) as { id: string; artifactUri: string };
    expect(pointer).toMatchObject({ id: parentId, artifactUri: parent.artifactUri });
    expect(parent.artifactUri).toMatch(/^mlflow-artifacts:\/\/127\.0\.0\.1:\d+\//);
    // Every stored file belongs under the artifact URI of the run that wrote it: none guessed.
    const roots = runs.map(([, r]) => `${new URL(r.artifactUri).pathname.slice(1)}/`);
    for (const key of server.artifacts.keys()) expect(roots.some((root) => key.startsWith(root)), key).toBe(true);
    const parentRoot = roots[runs.findIndex(([id]) => id === parentId)];
    expect([...server.artifacts.keys()].filter((k) => k.startsWith(parentRoot)).map((k) => k.slice(parentRoot.length)).sort()).toEqual(REGISTERED_RUN_ARTIFACTS);

    const [version] = server.models.get('attacks')!.versions;
    expect(version).toMatchObject({ source: `runs:/${parentId}/model`, status: 'READY', resolved: `${parent.artifactUri}/model` });
    expect(server.artifacts.get(`${parentRoot}model/MLmodel`)?.toString()).toContain('threatmatrix:');
    expect(server.models.get('attacks')!.aliases).toEqual({ production: '1' });
    expect(runs.map(([, r]) => r.status)).toEqual(['FINISHED', 'FINISHED']);
    expect(server.rejected).toEqual([]);

    // A pin from a third process (as the API and CLI wire it) reaches MLflow too.
    const deps = stageDepsFrom(loadConfig(env));
    await deps.registry.changeAlias('attacks', 'production', { action: 'pin', by: 'cli:test', why: 'freeze' });
    expect(server.models.get('attacks')!.tags['threatmatrix.production.pinned']).toBe('true');

    // And through the API's routes: a promote (after someone moved MLflow's alias away) and an unpin.
    const m = server.models.get('attacks')!;
    delete m.aliases.production;
    const admin = 'admin-key-for-mlflow-test';
    api = await startApi(loadConfig({ ...env, REDIS_URL, TM_QUEUE_PREFIX: prefix, TM_MODEL_NAME: 'attacks', HOST: '127.0.0.1', PORT: '0', TM_API_KEYS_ADMIN: admin, LOG_LEVEL: 'silent' }), pino({ level: 'silent' }));
    const post = (path: string) => fetch(`${api!.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    expect((await post('/v1/models/unpin')).status).toBe(200);
    expect(m.tags['threatmatrix.production.pinned']).toBe('false');
    expect((await post('/v1/models/1/promote')).status).toBe(200);
    expect(m.aliases.production).toBe('1');
    expect(m.tags['threatmatrix.production.pinned']).toBe('true');
    expect(server.rejected).toEqual([]);
  });
});
