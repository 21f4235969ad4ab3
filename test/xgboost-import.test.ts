import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { repoPath } from './helpers/datasets.js';
import { testPrefix } from './helpers/redis.js';
import { startBatchApi } from './helpers/served.js';

interface Cases {
  features: string[];
  rows: Record<string, number | string | null>[];
  proba: number[][];
}
const FIXTURES = repoPath('test/fixtures/xgboost');
const read = (name: string, file: string) => readFile(join(FIXTURES, name, file), 'utf8');
const cases = async (name: string) => JSON.parse(await read(name, 'cases.json')) as Cases;

/** Largest |a - b| over rows x classes, `a` as the API's probabilities keyed by class. */
function worst(got: Record<string, number>[], want: number[][], classes: string[]): number {
  let w = 0;
  want.forEach((row, i) => row.forEach((p, k) => (w = Math.max(w, Math.abs(got[i][classes[k]] - p)))));
  return w;
}

describe('importing XGBoost models through the API and the CLI, served by the real API', () => {
  const prefix = testPrefix('xgbimport');
  const KEY = 'predict-key';
  const ADMIN = 'admin-key';
  let dir: string;
  let http: Awaited<ReturnType<typeof startBatchApi>>;
  let registry: ArtifactRegistry;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-xgbimport-'));
    const store = new LocalArtifactStore(dir);
    registry = new ArtifactRegistry(store);
    http = await startBatchApi(store, registry, { prefix, key: KEY, adminKey: ADMIN, model: 'imported', rowsPerChunk: 64 });
  });
  afterAll(async () => {
    await http?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const post = (path: string, body: unknown, key = ADMIN) =>
    fetch(`${http.base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const predictBatch = async (rows: Cases['rows']) => {
    const res = await post('/v1/predict/batch', { rows }, KEY);
    expect(res.status).toBe(200);
    return (await res.json()) as { predictions: { label: string; probabilities: Record<string, number> }[]; modelVersion: number };
  };

  it('refuses an import without an admin key, and a schema that misses a model feature with a 422 naming it', async () => {
    const body = { xgboost: await read('binary-missing', 'model.json'), schema: await read('binary-missing', 'schema.yaml') };
    expect((await post('/v1/models/import', body, KEY)).status).toBe(403);
    const renamed = { ...body, schema: body.schema.replace('name: gamma', 'name: gama') };
    const res = await post('/v1/models/import', renamed);
    expect(res.status).toBe(422);
    const err = ((await res.json()) as { error: { code: string; details: { field: string; rule: string; message: string }[] } }).error;
    expect(err.code).toBe('invalid_model');
    expect(err.details[0]).toMatchObject({ field: 'schema.features.gamma', rule: 'in-schema' });
    expect(err.details[0].message).toContain('"gamma"');
    const bad = await post('/v1/models/import', { ...body, xgboost: '{"learner": {}}' });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: { details: { field: string }[] } }).error.details[0].field).toMatch(/^xgboost\.learner/);
  });

  it('registers and promotes a model with missing values whose answers equal predict_proba, sync and async', async () => {
    const res = await post('/v1/models/import', { xgboost: await read('binary-missing', 'model.json'), schema: await read('binary-missing', 'schema.yaml'), promote: true, note: 'from the data science team' });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ name: 'imported', version: 1, family: 'xgboost', objective: 'binary:logistic', trees: 25, features: 4, promoted: true, namedFeatures: true });
    const c = await cases('binary-missing');
    const sync = await predictBatch(c.rows);
    expect(sync.modelVersion).toBe(1);
    expect(worst(sync.predictions.map((p) => p.probabilities), c.proba, ['0', '1'])).toBeLessThan(1e-6);
    const one = await post('/v1/predict', { features: c.rows[1] }, KEY);
    expect(one.status).toBe(200);
    expect(Math.abs(((await one.json()) as { probabilities: Record<string, number> }).probabilities['1'] - c.proba[1][1])).toBeLessThan(1e-6);

    // An async batch of the same rows (missing values as empty cells), in several chunks.
    const csv = Papa.unparse({ fields: c.features, data: c.rows.map((r) => c.features.map((f) => r[f] ?? '')) });
    const up = await fetch(`${http.base}/v1/batches`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'text/csv' }, body: csv });
    expect(up.status).toBe(202);
    const { batchId } = (await up.json()) as { batchId: string };
    let status: { state: string; results?: string } = { state: 'queued' };
    for (let i = 0; i < 600 && status.state !== 'completed' && status.state !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await (await fetch(`${http.base}/v1/batches/${batchId}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as typeof status;
    }
    expect(status.state).toBe('completed');
    const out = Papa.parse<Record<string, string>>((await (await fetch(`${http.base}${status.results!}`, { headers: { authorization: `Bearer ${KEY}` } })).text()).trim(), { header: true }).data;
    expect(out).toHaveLength(c.rows.length);
    expect(worst(out.map((r) => ({ '0': Number(r.p_0), '1': Number(r.p_1) })), c.proba, ['0', '1'])).toBeLessThan(1e-6);
  });

  it('registers a categorical model as a candidate, serves it once promoted, and gives the same version for the same import', async () => {
    const body = { xgboost: await read('binary-categorical', 'model.json'), schema: await read('binary-categorical', 'schema.yaml') };
    const res = await post('/v1/models/import', body);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ version: 2, categorical: 2, promoted: false });
    expect((await (await post('/v1/models/import', body)).json()) as { version: number }).toMatchObject({ version: 2 });
    expect((await predictBatch((await cases('binary-missing')).rows.slice(0, 2))).modelVersion).toBe(1);
    expect((await post('/v1/models/2/promote', {})).status).toBe(200);
    const c = await cases('binary-categorical');
    const served = await predictBatch(c.rows);
    expect(served.modelVersion).toBe(2);
    expect(worst(served.predictions.map((p) => p.probabilities), c.proba, ['0', '1'])).toBeLessThan(1e-6);
  });

  it('imports with threatmatrix models import, and the API serves the version once production', async () => {
    const cli = spawnSync(
      process.execPath,
      [repoPath('api/bin/threatmatrix.mjs'), 'models', 'import', '--xgboost', join(FIXTURES, 'multi-synthetic/model.json'), '--schema', join(FIXTURES, 'multi-synthetic/schema.yaml'), '--name', 'imported', '--promote'],
      { cwd: repoPath(''), env: { ...process.env, TM_ARTIFACTS: dir, LOG_LEVEL: 'silent' }, encoding: 'utf8' },
    );
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toContain('imported v3 imported: xgboost multi:softprob, 45 trees, 5 features (in schema order)');
    expect(cli.stdout).toContain('imported production v3 (pinned)');
    expect(await registry.alias('imported', 'production')).toBe(3);
    expect(await http.models.refresh()).toBe(true);
    const c = await cases('multi-synthetic');
    const served = await predictBatch(c.rows);
    expect(served.modelVersion).toBe(3);
    expect(worst(served.predictions.map((p) => p.probabilities), c.proba, ['a', 'b', 'c'])).toBeLessThan(1e-6);

    const refused = spawnSync(
      process.execPath,
      [repoPath('api/bin/threatmatrix.mjs'), 'models', 'import', '--xgboost', join(FIXTURES, 'multi-synthetic/model.json'), '--schema', join(FIXTURES, 'binary-missing/schema.yaml'), '--name', 'imported'],
      { cwd: repoPath(''), env: { ...process.env, TM_ARTIFACTS: dir, LOG_LEVEL: 'silent' }, encoding: 'utf8' },
    );
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("the model predicts 3 classes, the schema's label lists 2");
  }, 120_000);
});
