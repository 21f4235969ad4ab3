import { describe, expect, it } from 'vitest';
import { readCsvText, schemaOf } from '../../test/helpers/datasets.js';
import { attackDataset } from '../../test/helpers/synthetic.js';
import { takeRows } from '../data/frame.js';
import { Pipeline } from '../models/pipeline.js';
import { createModel } from '../models/registry.js';
import { Preprocessor } from '../transform/preprocessor.js';
import { PipelineExplainer } from './explainer.js';
import { globalImportance } from './global-importance.js';

describe('globalImportance', async () => {
  const { csv, schema } = attackDataset(900, 4);
  const { dataset } = await readCsvText(csv, schemaOf(schema));
  const fit = async (kind: string, pre: Preprocessor) => {
    const X = pre.fitTransform(dataset.features);
    const model = createModel(kind, kind === 'random_forest' ? { nEstimators: 5 } : {});
    await model.fit(X, dataset.labels, { nClasses: 3 });
    return new Pipeline(pre, model, dataset.classes, dataset.positiveClass);
  };

  it('is the mean |SHAP| per feature over at most maxRows evenly spaced rows, largest first', async () => {
    const p = await fit('random_forest', new Preprocessor());
    const imp = (await globalImportance(p, dataset.features, 300))!;
    expect(imp.rows).toBe(300);
    expect(imp.output).toBe('probability');
    expect(imp.features.map((f) => f.feature).sort()).toEqual(['bytes', 'duration', 'protocol', 'service']);
    const sizes = imp.features.map((f) => f.meanAbs);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    // By hand on the same rows: rows 0, 3, 6, ... (900 / 300).
    const rows = takeRows(dataset.features, Int32Array.from({ length: 300 }, (_, i) => 3 * i));
    const e = PipelineExplainer.for(p).explain(rows, p.predictProba(rows));
    const j = e.features.indexOf('bytes');
    let s = 0;
    for (let i = 0; i < 300; i++) s += Math.abs(e.phi[i * 4 + j]);
    expect(imp.features.find((f) => f.feature === 'bytes')!.meanAbs).toBeCloseTo(s / 300, 12);
  });

  it('is undefined for a family that is not explained', async () => {
    expect(await globalImportance(await fit('knn', new Preprocessor({ scale: true })), dataset.features)).toBeUndefined();
  });
});
