import { describe, expect, it } from 'vitest';
import { attackDataset } from '../../test/helpers/synthetic.js';
import { readCsvText, schemaOf } from '../../test/helpers/datasets.js';
import { takeRows } from '../data/frame.js';
import { Preprocessor } from '../transform/preprocessor.js';
import { ModelError } from '../errors.js';
import { Pipeline } from './pipeline.js';
import { createModel, loadModel, MODEL_KINDS } from './registry.js';

const small: Record<string, Record<string, unknown>> = {
  logistic_regression: { C: 1 },
  mlp: { hiddenLayers: [8], maxEpochs: 5, batchSize: 64 },
  decision_tree: { maxDepth: 6 },
  random_forest: { nEstimators: 10 },
  gradient_boosting: { maxIter: 10 },
  knn: { nNeighbors: 3 },
};

async function data(nClasses: 2 | 3) {
  const { csv, schema } = attackDataset(300, 5);
  const s = schemaOf(schema);
  const { dataset } = await readCsvText(csv, s);
  if (nClasses === 2) dataset.labels = dataset.labels.map((y) => (y === 0 ? 0 : 1));
  const pre = new Preprocessor({ scale: true });
  return { X: pre.fitTransform(dataset.features), y: dataset.labels, pre, dataset };
}

describe('model JSON round trip', () => {
  for (const nClasses of [2, 3] as const) {
    for (const kind of MODEL_KINDS) {
      it(`${kind} (${nClasses} classes) predicts identically after toJSON / loadModel`, async () => {
        const { X, y } = await data(nClasses);
        const model = createModel(kind, small[kind]);
        await model.fit(X, y, { nClasses });
        const before = model.predictProba(X);
        const json = JSON.parse(JSON.stringify(model.toJSON()));
        expect(json.kind).toBe(kind);
        const after = (await loadModel(json)).predictProba(X);
        expect(after).toEqual(before);
        expect(before.length).toBe(X.rows * nClasses);
        for (let i = 0; i < X.rows; i++) {
          const sum = Array.from(before.subarray(i * nClasses, (i + 1) * nClasses)).reduce((a, b) => a + b, 0);
          expect(sum).toBeCloseTo(1, 5);
        }
      });
    }
  }

  it('round-trips a whole pipeline with imputation and encoding', async () => {
    const { dataset } = await data(3);
    const withHoles = { ...dataset.features, columns: dataset.features.columns.map((c) => (c.kind === 'numeric' ? { ...c, values: c.values.map((v, i) => (i % 7 === 0 ? NaN : v)) } : c)) };
    const pre = new Preprocessor({ scale: true });
    const X = pre.fitTransform(withHoles);
    expect(X.data.some(Number.isNaN)).toBe(false);
    const model = createModel('gradient_boosting', { maxIter: 5 });
    await model.fit(X, dataset.labels, { nClasses: 3 });
    const pipeline = new Pipeline(pre, model, dataset.classes, dataset.positiveClass);
    const again = await Pipeline.fromJSON(JSON.parse(JSON.stringify(pipeline.toJSON())));
    expect(again.predictProba(withHoles)).toEqual(pipeline.predictProba(withHoles));
  });

  it('scores big batches of different sizes one after another (reused encoder buffer)', async () => {
    const { csv, schema } = attackDataset(60_000, 8);
    const { dataset } = await readCsvText(csv, schemaOf(schema));
    const pre = new Preprocessor();
    const X = pre.fitTransform(dataset.features);
    const model = createModel('random_forest', { nEstimators: 5, maxDepth: 6 });
    await model.fit(X, dataset.labels, { nClasses: 3 });
    const pipeline = new Pipeline(pre, model, dataset.classes, dataset.positiveClass);
    const fresh = await Pipeline.fromJSON(JSON.parse(JSON.stringify(pipeline.toJSON())));
    const part = takeRows(dataset.features, Int32Array.from({ length: 50_000 }, (_, i) => (i * 7) % 60_000));
    const first = pipeline.predictProba(dataset.features);
    expect(pipeline.predictProba(part)).toEqual(fresh.predictProba(part));
    expect(pipeline.predictProba(dataset.features)).toEqual(first);
  });

  it('rejects unknown kinds, bad versions and bad params', async () => {
    await expect(loadModel({ kind: 'svm', version: 1, params: {}, state: {} })).rejects.toThrow(ModelError);
    await expect(loadModel({ kind: 'knn', version: 9, params: {}, state: {} })).rejects.toThrow(/version 9/);
    expect(() => createModel('random_forest', { nEstimators: 0 })).toThrow(/nEstimators/);
    expect(() => createModel('gradient_boosting', { learningRate: -1 })).toThrow(/learningRate/);
  });
});
