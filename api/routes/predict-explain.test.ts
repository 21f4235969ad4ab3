import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../core/adapters/local-artifact-store.js';
import { readCsv } from '../../core/data/csv-reader.js';
import { phishingSchema, repoPath } from '../../test/helpers/datasets.js';
import { listen, trainPhishing } from '../../test/helpers/served.js';
import { buildApp } from '../app.js';
import { ModelHolder } from '../serving/model-holder.js';
import { recordsToFrame } from '../serving/records.js';
import { Pipeline } from '../../core/models/pipeline.js';
import { IMPORTANCE_MAX_ROWS } from '../../core/explain/global-importance.js';

interface Explained {
  label: string;
  probabilities: Record<string, number>;
  explanation: { output: string; class: string; baseValue: number; outputValue: number; sum: number; contributions: { feature: string; value: unknown; contribution: number }[] };
}

/** Serves the production model of a fresh phishing run of `family`; `post` sends a predict call. */
async function serveFamily(family: string) {
  const dir = await mkdtemp(join(tmpdir(), 'tm-explain-'));
  const store = new LocalArtifactStore(dir);
  const registry = await trainPhishing(store, `explain-${family}`, [family]);
  const models = new ModelHolder('phishing', registry, store);
  await models.refresh();
  const app = buildApp({ models, registry, redisOk: async () => true, maxBatchRows: 100, keys: { predict: ['k'], admin: ['a'] } });
  const http = await listen(app.fetch);
  const post = (path: string, body: object) => fetch(`${http.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k' }, body: JSON.stringify(body) });
  /** The threat class's probability before calibration: what the margin explains. */
  const rawThreatP = async (records: Record<string, number>[]) => {
    const entry = await registry.get('phishing', 'production');
    const pipeline = (await Pipeline.fromJSON(entry!.model)).withCalibrator(undefined);
    const proba = pipeline.predictProba(recordsToFrame(records, phishingSchema()).frame);
    const K = pipeline.classes.length;
    const k = pipeline.classes.indexOf('-1');
    return records.map((_, i) => proba[i * K + k]);
  };
  return {
    post,
    registry,
    rawThreatP,
    async close() {
      await http.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('POST /v1/predict with explain', () => {
  let served: Awaited<ReturnType<typeof serveFamily>>;
  let rows: Record<string, number>[];

  beforeAll(async () => {
    served = await serveFamily('gradient_boosting');
    const { dataset } = await readCsv(repoPath('data/phishing.csv'), phishingSchema());
    rows = Array.from({ length: 40 }, (_, i) => Object.fromEntries(dataset.features.columns.map((c) => [c.name, c.kind === 'numeric' ? c.values[i * 97] : 0])));
  }, 300_000);
  afterAll(() => served?.close());

  it('answers base value, the top k contributions by |c| and their sum, adding up to the threat class log-odds', async () => {
    const res = await served.post('/v1/predict', { features: rows[0], explain: { top: 5 } });
    expect(res.status).toBe(200);
    const p = (await res.json()) as Explained;
    const e = p.explanation;
    expect(e.output).toBe('margin');
    expect(e.class).toBe('-1');
    expect(e.contributions).toHaveLength(5);
    const sizes = e.contributions.map((c) => Math.abs(c.contribution));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    for (const c of e.contributions) expect(c.value).toBe(rows[0][c.feature]);
    expect(e.outputValue).toBeCloseTo(e.baseValue + e.sum, 9);
    // The margin of the threat class is the model's log-odds, before any calibration of the answer.
    expect(1 / (1 + Math.exp(-e.outputValue))).toBeCloseTo((await served.rawThreatP([rows[0]]))[0], 9);
  });

  it('explain: true lists 10; the batch route explains every row', async () => {
    const one = (await (await served.post('/v1/predict', { features: rows[1], explain: true })).json()) as Explained;
    expect(one.explanation.contributions).toHaveLength(10);
    const res = await served.post('/v1/predict/batch', { rows, explain: { top: 3 } });
    expect(res.status).toBe(200);
    const b = (await res.json()) as { predictions: Explained[] };
    expect(b.predictions).toHaveLength(40);
    const raw = await served.rawThreatP(rows);
    b.predictions.forEach((p, i) => {
      expect(p.explanation.contributions).toHaveLength(3);
      expect(1 / (1 + Math.exp(-p.explanation.outputValue))).toBeCloseTo(raw[i], 9);
    });
    expect(b.predictions[1].explanation).toEqual(one.explanation.contributions.length ? { ...one.explanation, contributions: one.explanation.contributions.slice(0, 3) } : undefined);
    const plain = (await (await served.post('/v1/predict', { features: rows[1] })).json()) as Partial<Explained>;
    expect(plain.explanation).toBeUndefined();
  });

  it('the run stored the version\'s global importance (mean |SHAP| on its test rows) in the manifest', async () => {
    const [v] = await served.registry.versions('phishing');
    expect(v.importance?.output).toBe('margin');
    // Up to IMPORTANCE_MAX_ROWS evenly spaced test rows, fewer when its time cap ends it first.
    expect(v.importance!.rows).toBeGreaterThan(0);
    expect(v.importance!.rows).toBeLessThanOrEqual(IMPORTANCE_MAX_ROWS);
    expect(v.importance?.features).toHaveLength(30);
    expect(v.importance!.features[0].meanAbs).toBeGreaterThan(v.importance!.features[29].meanAbs);
  });

  it('rejects a bad explain option with a 422 naming the field and rule', async () => {
    for (const explain of [{ top: 0 }, { top: 2.5 }, 'yes', { top: 3, extra: 1 }]) {
      const res = await served.post('/v1/predict', { features: rows[0], explain });
      expect(res.status).toBe(422);
      const body = (await res.json()) as { error: { details: { field: string; rule: string }[] } };
      expect(body.error.details[0].field).toMatch(/^explain/);
    }
  });
});

describe('POST /v1/predict explain on a family that is not explained', () => {
  let served: Awaited<ReturnType<typeof serveFamily>>;
  beforeAll(async () => {
    served = await serveFamily('knn');
  }, 300_000);
  afterAll(() => served?.close());

  it('answers 422 not_explainable naming the family', async () => {
    const { dataset } = await readCsv(repoPath('data/phishing.csv'), phishingSchema());
    const row = Object.fromEntries(dataset.features.columns.map((c) => [c.name, c.kind === 'numeric' ? c.values[0] : 0]));
    const res = await served.post('/v1/predict', { features: row, explain: true });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; message: string; details: { field: string; rule: string }[] } };
    expect(body.error.code).toBe('not_explainable');
    expect(body.error.message).toMatch(/knn/);
    expect(body.error.details[0]).toMatchObject({ field: 'explain', rule: 'explainable-model' });
    expect((await served.post('/v1/predict', { features: row })).status).toBe(200);
    expect((await served.registry.versions('phishing'))[0].importance).toBeUndefined();
  });
});
