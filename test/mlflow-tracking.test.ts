import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CsvFileSource } from '../core/adapters/csv-file-source.js';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { MlflowClient } from '../core/adapters/mlflow/mlflow-client.js';
import { mirrorAliases } from '../core/adapters/mlflow/alias-mirror.js';
import { MlflowTracker, mlflowVersionKey } from '../core/adapters/mlflow/mlflow-tracker.js';
import { getJson } from '../core/artifacts/json.js';
import { runLocally } from '../core/pipeline/run-locally.js';
import { ingest } from '../core/pipeline/stages.js';
import { Redis } from 'ioredis';
import { cancelRun } from '../workers/run-control.js';
import { dropPrefix, REDIS_URL, testPrefix } from './helpers/redis.js';
import { trackedDataset } from '../core/pipeline/tracking.js';
import type { StageDeps } from '../core/pipeline/stage-deps.js';
import { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { parseDatasetSchema } from '../schema/index.js';
import { RunSpec } from '../schema/jobs.js';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { putS3Object } from '../workers/wiring.js';
import { REGISTERED_RUN_ARTIFACTS, startFakeMlflow, startSilentServer } from './helpers/fake-mlflow.js';
import { startS3 } from './helpers/s3.js';
import { attackDataset } from './helpers/synthetic.js';

describe('a training run tracked in MLflow', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof startFakeMlflow>> | undefined;
  afterEach(async () => {
    await server?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  async function setup(uri: string, putS3?: (uri: string, body: Uint8Array | string) => Promise<void>) {
    dir = await mkdtemp(join(tmpdir(), 'tm-mlflow-'));
    const { csv, schema } = attackDataset(600, 51);
    await writeFile(join(dir, 'a.csv'), csv);
    const store = new LocalArtifactStore(join(dir, 'artifacts'));
    const warnings: string[] = [];
    const deps: StageDeps = {
      store,
      registry: new ArtifactRegistry(store),
      source: (s) => new CsvFileSource(s.kind === 'csv' ? s.path : ''),
      promotion: { metric: 'macroF1', minDelta: 0 },
      tracker: new MlflowTracker(new MlflowClient(uri, { token: 'tok' }, { retries: 0 }), 'threatmatrix', putS3),
      warn: (m) => warnings.push(m),
    };
    const run = RunSpec.parse({ runId: 'run-ml', modelName: 'attacks', source: { kind: 'csv', path: join(dir, 'a.csv') }, schema, families: ['decision_tree', 'random_forest'], gitCommit: 'abc123' });
    return { deps, run, warnings };
  }

  it('logs params, per-family nested runs with their metrics, artifacts, the version and the final status', async () => {
    server = await startFakeMlflow();
    const { deps, run, warnings } = await setup(server.uri);
    const result = await runLocally(run, deps);
    expect(warnings).toEqual([]);
    const runs = [...server.runs.entries()];
    const [parentId, parent] = runs.find(([, r]) => r.name === 'run-ml')!;
    expect(parent).toMatchObject({ status: 'FINISHED', tags: expect.objectContaining({ 'mlflow.source.git.commit': 'abc123', 'threatmatrix.best': result.best }) });
    expect(parent.params).toMatchObject({ folds: '3', families: 'decision_tree,random_forest' });
    expect(parent.metrics.map((m) => m.key)).toEqual(expect.arrayContaining(['rows', 'trainRows', 'test_f1', 'test_macroF1']));
    const nested = runs.filter(([, r]) => r.tags['mlflow.parentRunId'] === parentId).map(([, r]) => r);
    expect(nested.map((r) => r.name).sort()).toEqual(['decision_tree', 'random_forest']);
    for (const r of nested) {
      expect(r.status).toBe('FINISHED');
      expect(r.metrics.map((m) => m.key)).toEqual(expect.arrayContaining(['cvF1', 'cvF1Sd', 'searchSeconds']));
    }
    expect([...server.artifacts.keys()].filter((k) => k.includes(parentId)).map((k) => k.split('/artifacts/')[1]).sort()).toEqual(REGISTERED_RUN_ARTIFACTS);
    expect(server.models.get('attacks')?.aliases).toEqual({ production: '1' });
    expect(server.rejected).toEqual([]);
  });

  it('registers an MLflow Model: MLmodel with the threatmatrix flavor, a signature from the schema and an input example', async () => {
    server = await startFakeMlflow();
    const { deps, run } = await setup(server.uri);
    await runLocally(run, deps);
    const version = server.models.get('attacks')!.versions[0];
    expect(version).toMatchObject({ status: 'READY', tags: { 'threatmatrix.version': '1' } });
    const [parentId, parent] = [...server.runs.entries()].find(([, r]) => r.name === 'run-ml')!;
    expect(version.source).toBe(`runs:/${parentId}/model`);
    const dir = `${parent.artifactUri.replace('mlflow-artifacts:/', '')}/model`;
    const mlmodel = server.artifacts.get(`${dir}/MLmodel`)!.toString();
    expect(mlmodel).toMatch(/^artifact_path: model$/m);
    expect(mlmodel).toMatch(/^flavors:\n {2}threatmatrix:\n {4}model_file: "model.json"/m);
    expect(mlmodel).toContain(`run_id: "${parentId}"`);
    const inputs = JSON.parse(JSON.parse(/^ {2}inputs: (.*)$/m.exec(mlmodel)![1]) as string) as { type: string; name: string }[];
    const features = (run.schema as { features: { name: string; kind: string }[] }).features;
    expect(inputs).toEqual(features.map((f) => ({ type: f.kind === 'numeric' ? 'double' : 'string', name: f.name, required: false })));
    expect(mlmodel).toContain('artifact_path: "input_example.json"');
    const example = JSON.parse(server.artifacts.get(`${dir}/input_example.json`)!.toString()) as { columns: string[]; data: unknown[][] };
    expect(example.columns).toEqual(features.map((f) => f.name));
    expect(example.data.length).toBe(5);
    expect(example.data[0]).toHaveLength(features.length);
  });

  it('writes the MLflow Model and finishes the run on a server without a model registry', async () => {
    server = await startFakeMlflow({ registry: false });
    const { deps, run, warnings } = await setup(server.uri);
    await runLocally(run, deps);
    expect(warnings).toEqual([]);
    const [parentId, parent] = [...server.runs.entries()].find(([, r]) => r.name === 'run-ml')!;
    expect(parent.status).toBe('FINISHED');
    expect([...server.artifacts.keys()].filter((k) => k.includes(parentId) && k.includes('/model/')).map((k) => k.split('/artifacts/')[1]).sort()).toEqual(['model/MLmodel', 'model/input_example.json', 'model/model.json']);
    expect(server.requests.filter((r) => /registered-models|model-versions/.test(r.path)).map((r) => r.path.split('?')[0])).toEqual(['/api/2.0/mlflow/registered-models/search']);
  });

  it('asks runs/get once for the artifact URI of a run attached without one (an older pointer), never guessing it', async () => {
    server = await startFakeMlflow();
    dir = await mkdtemp(join(tmpdir(), 'tm-mlflow-'));
    const client = new MlflowClient(server.uri, {}, { retries: 0 });
    const started = await new MlflowTracker(client, 'threatmatrix').startRun({ runName: 'elsewhere' });
    const attached = new MlflowTracker(new MlflowClient(server.uri, {}, { retries: 0 }), 'threatmatrix').attach(started.id);
    await attached.logArtifact('a.json', '{}');
    await attached.logArtifact('b/c.json', '{}');
    const root = server.runs.get(started.id)!.artifactUri.replace('mlflow-artifacts:/', '');
    expect([...server.artifacts.keys()].sort()).toEqual([`${root}/a.json`, `${root}/b/c.json`]);
    expect(server.requests.filter((r) => r.path.includes('runs/get'))).toHaveLength(1);
  });

  it('logs the dataset through runs/log-inputs: name, digest, source without credentials, schema', async () => {
    server = await startFakeMlflow();
    const { deps, run } = await setup(server.uri);
    await runLocally(run, deps);
    const parent = [...server.runs.values()].find((r) => r.name === 'run-ml')!;
    expect(parent.datasets).toHaveLength(1);
    const { dataset, tags } = parent.datasets[0];
    expect(tags).toEqual([{ key: 'mlflow.data.context', value: 'training' }]);
    expect(dataset).toMatchObject({ name: (run.schema as { name: string }).name, source_type: 'local', source: JSON.stringify({ uri: `csv:${join(dir, 'a.csv')}` }) });
    expect(dataset.digest).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.parse(dataset.schema).mlflow_colspec.at(-1)).toEqual({ type: 'string', name: (run.schema as { label: { name: string } }).label.name, required: true });
    expect(JSON.parse(dataset.profile)).toEqual({ num_rows: 600, read_issues: 0 });
    expect(server.rejected).toEqual([]);
  });

  it('ends the parent run FAILED when the MLflow registry call fails, and the version is still ours', async () => {
    server = await startFakeMlflow({ failOn: ['POST model-versions/create'] });
    const { deps, run, warnings } = await setup(server.uri);
    const result = await runLocally(run, deps);
    expect(result).toMatchObject({ version: 1, promoted: true });
    expect(warnings).toEqual(['tracking: register failed']);
    const parent = [...server.runs.values()].find((r) => r.name === 'run-ml')!;
    expect(parent.status).toBe('FAILED');
    expect([...server.runs.values()].every((r) => r.status !== 'RUNNING')).toBe(true);
  });

  it('ends the parent run FAILED when our own registry fails in the register stage', async () => {
    server = await startFakeMlflow();
    const { deps, run } = await setup(server.uri);
    deps.registry = Object.assign(Object.create(deps.registry) as typeof deps.registry, { register: () => Promise.reject(new Error('disk full')) });
    await expect(runLocally(run, deps)).rejects.toThrow('disk full');
    expect([...server.runs.values()].find((r) => r.name === 'run-ml')!.status).toBe('FAILED');
  });

  it('ends the parent run KILLED when the run is cancelled before its later stages ran', async () => {
    server = await startFakeMlflow();
    const { deps, run } = await setup(server.uri);
    // Ingest started the tracked run; the rest of the run never runs.
    await ingest(run, deps);
    const redis = new Redis(REDIS_URL);
    const prefix = testPrefix('mlflow-cancel');
    try {
      const outcome = await cancelRun(redis, prefix, deps.store, run.runId, { settleMs: 0, tracker: deps.tracker });
      expect(outcome.state).toBe('cancelled');
    } finally {
      await dropPrefix(redis, prefix);
      redis.disconnect();
    }
    expect([...server.runs.values()].find((r) => r.name === 'run-ml')!.status).toBe('KILLED');
  });

  it('mirrors promotions, rollbacks and pins to the MLflow alias through the version mapping', async () => {
    server = await startFakeMlflow();
    const { deps, run, warnings } = await setup(server.uri);
    const tracker = new MlflowTracker(new MlflowClient(server.uri, { token: 'tok' }, { retries: 0 }), 'threatmatrix', undefined, deps.store);
    deps.tracker = tracker;
    deps.registry = mirrorAliases(deps.registry, tracker, (m) => warnings.push(m));
    // MLflow's numbers differ from ours: someone registered a version there first.
    server.models.set('attacks', { versions: [{ version: '1', source: 'elsewhere', runId: 'x', status: 'READY', tags: {} }], aliases: {}, tags: {} });
    await runLocally(run, deps);
    await runLocally({ ...run, runId: 'run-ml-2', seed: 7 }, deps);
    const m = server.models.get('attacks')!;
    expect(m.versions.map((v) => v.tags['threatmatrix.version'])).toEqual([undefined, '1', '2']);
    await deps.registry.changeAlias('attacks', 'production', { action: 'promote', version: 2, by: 'api:k1', why: 'test' });
    expect(m.aliases.production).toBe('3');
    expect(m.tags['threatmatrix.production.pinned']).toBe('true');
    await deps.registry.changeAlias('attacks', 'production', { action: 'rollback', by: 'cli:me', why: 'test' });
    expect(m.aliases.production).toBe('2');
    await deps.registry.changeAlias('attacks', 'production', { action: 'unpin', by: 'cli:me', why: 'test' });
    expect(m.tags['threatmatrix.production.pinned']).toBe('false');
    expect(await getJson(deps.store, mlflowVersionKey('attacks', 2))).toMatchObject({ mlflowVersion: '3', runId: expect.any(String) });
    // A retried register stage (same run, same version) does not make a second MLflow version.
    const parent2 = [...server.runs.entries()].find(([, r]) => r.name === 'run-ml-2')![0];
    await tracker.registerModel('attacks', tracker.attach(parent2), { version: 2, production: false, schema: { features: [], label: { name: 'y', classes: [0, 1] } }, example: [] });
    expect(m.versions).toHaveLength(3);
    expect(warnings).toEqual([]);
    expect(server.rejected).toEqual([]);
  });

  it('trains and registers even when the MLflow server is down, reporting the failures', async () => {
    server = await startFakeMlflow();
    const { deps, run, warnings } = await setup(server.uri);
    await server.stop();
    server = undefined;
    const result = await runLocally(run, deps);
    expect(result).toMatchObject({ version: 1, promoted: true });
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toMatch(/^tracking: /);
  });

  it('trains and registers without stalling when the MLflow server accepts and never answers', { timeout: 60_000 }, async () => {
    const silent = await startSilentServer();
    try {
      const { deps, run, warnings } = await setup(silent.uri);
      // Each call times out; after one does, the client stops calling for a while (no stall per call).
      deps.tracker = new MlflowTracker(new MlflowClient(silent.uri, { token: 'tok' }, { timeoutMs: 500 }), 'threatmatrix');
      const started = Date.now();
      const result = await runLocally(run, deps);
      expect(result).toMatchObject({ version: 1, promoted: true });
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(warnings.length).toBeGreaterThan(0);
      expect(warnings[0]).toMatch(/^tracking: .*failed/);
      expect(silent.requests()).toBeLessThanOrEqual(3);
    } finally {
      await silent.stop();
    }
  });

  it('writes artifacts straight to S3 when the server keeps them in a bucket', async () => {
    const s3 = await startS3('tm-mlflow');
    try {
      server = await startFakeMlflow({ artifactRoot: 's3://tm-mlflow/mlruns' });
      const { deps, run, warnings } = await setup(server.uri, (uri, body) => putS3Object(s3.client, uri, body));
      await runLocally(run, deps);
      expect(warnings).toEqual([]);
      const [parentId] = [...server.runs.entries()].find(([, r]) => r.name === 'run-ml')!;
      const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'tm-mlflow', Prefix: 'mlruns/' }));
      expect((listed.Contents ?? []).map((o) => o.Key).filter((k) => k?.includes(parentId))).toEqual(
        expect.arrayContaining([expect.stringMatching(/artifacts\/evaluate\/metrics\.json$/), expect.stringMatching(/artifacts\/model\/model\.json$/)]),
      );
    } finally {
      await s3.stop();
    }
  });
});

describe('the dataset a tracked run records', () => {
  it('names its source without credentials, whatever the source description holds', () => {
    const { schema } = attackDataset(10, 1);
    const run = RunSpec.parse({ runId: 'run-db', modelName: 'm', source: { kind: 'mongodb', uri: 'mongodb://ana:s3cret@db:27017', db: 'd', collection: 'c' }, schema });
    const d = trackedDataset(run, parseDatasetSchema(JSON.stringify(schema), 'test'), 'mongodb://ana:s3cret@db:27017/d.c', 'ab'.repeat(32), { rows: 10, readIssues: 0 });
    expect(d).toMatchObject({ sourceType: 'mongodb', digest: 'ab'.repeat(16), context: 'training' });
    expect(d.source).not.toContain('s3cret');
    expect(JSON.parse(d.source)).toEqual({ uri: 'mongodb://ana:***@db:27017/d.c' });
  });
});
