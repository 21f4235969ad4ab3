import { describe, expect, it } from 'vitest';
import { attackDataset } from '../../test/helpers/synthetic.js';
import { readCsvText, schemaOf } from '../../test/helpers/datasets.js';
import { takeDataset } from '../data/frame.js';
import { stratifiedSplit } from '../data/split.js';
import { classificationReport } from '../metrics/classification-report.js';
import { DEFAULT_FAMILIES, type Family } from './families.js';
import { fitPipeline } from './grid-search.js';
import { searchAll } from '../../bench/lib/search-all.js';

describe('a three-class dataset with categorical string features', () => {
  it('trains every family to a macro-F1 far above chance', async () => {
    const { csv, schema } = attackDataset(1500, 11);
    const { dataset } = await readCsvText(csv, schemaOf(schema));
    expect(dataset.classes).toEqual(['benign', 'scan', 'dos']);
    const { train, test } = stratifiedSplit(dataset.labels, 0.3, 3);
    const tr = takeDataset(dataset, train);
    const te = takeDataset(dataset, test);
    for (const family of DEFAULT_FAMILIES) {
      const params = { ...family.fixed, ...Object.fromEntries(Object.entries(family.grid).map(([k, v]) => [k, v[0]])) };
      const pipeline = await fitPipeline(family, params, tr);
      const r = classificationReport(te.labels, pipeline.predictProba(te.features), te.classes, te.positiveClass);
      // Chance is 1/3; the generator's noise keeps the best possible well below 1.
      expect(r.macroF1, family.kind).toBeGreaterThan(0.7);
      expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(te.labels.length);
    }
  });

  it('grid-searches with macro-F1 and keeps going when a family fails', async () => {
    const { csv, schema } = attackDataset(600, 12);
    const { dataset } = await readCsvText(csv, schemaOf(schema));
    const families: Family[] = [
      { kind: 'decision_tree', grid: { maxDepth: [2, 8] }, scale: false },
      { kind: 'random_forest', grid: { nEstimators: [5, 20] }, stageParam: 'nEstimators', scale: false },
      { kind: 'knn', grid: { nNeighbors: [0] }, scale: true },
    ];
    const progress: string[] = [];
    const { results, failures } = await searchAll(families, dataset, { folds: 3, seed: 1, onProgress: (p) => progress.push(p.family) });
    expect(results.map((r) => r.family)).toEqual(['decision_tree', 'random_forest']);
    expect(failures).toEqual([{ family: 'knn', error: expect.stringMatching(/nNeighbors/) }]);
    const dt = results[0];
    expect(dt.configs).toHaveLength(2);
    const top = dt.configs.reduce((a, b) => (b.cvF1 > a.cvF1 ? b : a));
    expect(dt.params).toEqual(top.params);
    expect(dt.cvF1).toBe(top.cvF1);
    expect(dt.cvF1).toBeGreaterThan(0.7);
    expect(results[1].configs.map((c) => c.params.nEstimators).sort()).toEqual([20, 5]);
    expect(progress).toContain('random_forest');
  });

  it('finds the same configs on worker threads as in this thread', async () => {
    const { csv, schema } = attackDataset(400, 13);
    const { dataset } = await readCsvText(csv, schemaOf(schema));
    const families: Family[] = [
      { kind: 'gradient_boosting', grid: { learningRate: [0.1, 0.3], maxIter: [5, 20] }, stageParam: 'maxIter', scale: false },
      { kind: 'logistic_regression', grid: { C: [0.1, 1] }, scale: true },
    ];
    const threaded = await searchAll(families, dataset, { threads: 2, seed: 4 });
    const inline = await searchAll(families, dataset, { threads: 1, seed: 4 });
    const summary = (o: typeof inline) => o.results.map((r) => ({ family: r.family, params: r.params, cvF1: r.cvF1, configs: r.configs }));
    expect(summary(threaded)).toEqual(summary(inline));
    expect(threaded.results[0].pipeline.predictProba(dataset.features)).toEqual(inline.results[0].pipeline.predictProba(dataset.features));
  });
});
