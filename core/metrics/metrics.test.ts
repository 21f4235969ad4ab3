import { describe, expect, it } from 'vitest';
import { classificationReport } from './classification-report.js';
import { classScores, confusionMatrix } from './confusion.js';
import { averagePrecision, rocAuc } from './ranking.js';

describe('metrics', () => {
  // Hand-worked: threat class 0. True 0s: 4 (3 caught), true 1s: 6 (1 false alarm).
  const yTrue = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
  const yPred = Int32Array.from([0, 0, 0, 1, 0, 1, 1, 1, 1, 1]);

  it('matches a hand-worked confusion matrix', () => {
    const cm = confusionMatrix(yTrue, yPred, 2);
    expect(cm).toEqual([
      [3, 1],
      [1, 5],
    ]);
    const s = classScores(cm, 0);
    expect(s.precision).toBeCloseTo(3 / 4, 12);
    expect(s.recall).toBeCloseTo(3 / 4, 12);
    expect(s.f1).toBeCloseTo(0.75, 12);
    expect(classScores(cm, 1).f1).toBeCloseTo(5 / 6, 12);
  });

  it('builds the report from probabilities with the threat class positive', () => {
    const proba = Float64Array.from(Array.from(yPred).flatMap((p) => (p === 0 ? [0.8, 0.2] : [0.3, 0.7])));
    const r = classificationReport(yTrue, proba, ['phish', 'legit'], 0);
    expect(r.accuracy).toBeCloseTo(0.8, 12);
    expect(r.f1).toBeCloseTo(0.75, 12);
    expect(r.macroF1).toBeCloseTo((0.75 + 5 / 6) / 2, 12);
    expect(r.selectionF1).toBe(r.f1);
    expect(r.perClass.map((c) => c.support)).toEqual([4, 6]);
  });

  it('computes ROC-AUC and average precision as scikit-learn does (ties included)', () => {
    const y = [1, 1, 0, 1, 0, 0, 1, 0, 1, 0].map((v) => v === 1);
    const s = [0.9, 0.8, 0.7, 0.7, 0.6, 0.4, 0.35, 0.3, 0.2, 0.1];
    // sklearn.metrics.roc_auc_score / average_precision_score, scikit-learn 1.2.1
    expect(rocAuc(y, s)).toBeCloseTo(0.7, 12);
    expect(averagePrecision(y, s)).toBeCloseTo(0.7753968253968253, 12);
  });

  it('uses macro-F1 for selection when there are more than two classes', () => {
    const y = Int32Array.from([0, 1, 2, 2]);
    const proba = Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0]);
    const r = classificationReport(y, proba, ['a', 'b', 'c'], 2);
    expect(r.selectionF1).toBeCloseTo(r.macroF1, 12);
    expect(r.macroF1).toBeCloseTo((2 / 3 + 1 + 2 / 3) / 3, 12);
  });
});
