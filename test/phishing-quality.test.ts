import { beforeAll, describe, expect, it } from 'vitest';
import { phishingSplit } from '../bench/lib/phishing-split.js';
import type { Dataset } from '../core/data/frame.js';
import { classificationReport } from '../core/metrics/classification-report.js';
import { fitPipeline } from '../core/tuning/grid-search.js';

// Metric floors at fixed seeds on scikit-learn's exact split (phishing = positive class).
describe('tree ensembles on the phishing split', () => {
  let train: Dataset;
  let test: Dataset;
  beforeAll(async () => ({ train, test } = await phishingSplit()));

  const f1 = async (kind: 'gradient_boosting' | 'random_forest' | 'decision_tree', params: Record<string, unknown>) => {
    const p = await fitPipeline({ kind, scale: false }, params, train);
    return classificationReport(test.labels, p.predictProba(test.features), test.classes, test.positiveClass).f1;
  };

  it('gradient boosting reproduces HistGradientBoosting (defaults F1 0.9631, grid best 0.9728)', async () => {
    expect(await f1('gradient_boosting', {})).toBeCloseTo(0.9631, 3);
    expect(await f1('gradient_boosting', { maxIter: 100, maxLeafNodes: 63, learningRate: 0.2 })).toBeGreaterThanOrEqual(0.973);
  });

  it('random forest beats scikit-learn RandomForest (0.9712)', async () => {
    expect(await f1('random_forest', { nEstimators: 50, maxDepth: 20 })).toBeGreaterThanOrEqual(0.9712);
  });

  it('a single tree stays near scikit-learn DecisionTree (0.9672)', async () => {
    expect(await f1('decision_tree', { criterion: 'entropy' })).toBeGreaterThan(0.96);
  });
});
