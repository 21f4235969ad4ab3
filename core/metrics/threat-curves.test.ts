import { describe, expect, it } from 'vitest';
import { brierScore, expectedCalibrationError, reliabilityCurve } from './calibration-metrics.js';
import { confusionAt, threatCurves } from './threat-curves.js';

describe('threat curves and calibration figures', () => {
  // Hand-worked: 4 threats, 6 others; ties at 0.7.
  const y = [1, 1, 0, 1, 0, 0, 1, 0, 0, 0];
  const s = [0.9, 0.8, 0.7, 0.7, 0.6, 0.4, 0.35, 0.3, 0.2, 0.1];

  it('counts the confusion at a threshold (score >= threshold is a threat)', () => {
    expect(confusionAt(y, s, 0.7)).toMatchObject({ tp: 3, fp: 1, tn: 5, fn: 1, precision: 0.75, recall: 0.75, fpr: 1 / 6 });
    expect(confusionAt(y, s, 0.95)).toMatchObject({ tp: 0, fp: 0, precision: 0, recall: 0, f1: 0 });
  });

  it('cuts ROC and PR curves at distinct scores, ties together', () => {
    const c = threatCurves(y, s);
    expect(c.positives).toBe(4);
    expect(c.negatives).toBe(6);
    expect(c.roc).toHaveLength(9);
    expect(c.roc[2]).toEqual({ threshold: 0.7, fpr: 1 / 6, tpr: 0.75 });
    expect(c.roc.at(-1)).toEqual({ threshold: 0.1, fpr: 1, tpr: 1 });
    expect(c.pr[0]).toEqual({ threshold: 0.9, recall: 0.25, precision: 1 });
  });

  it('thins a long curve to at most 200 points, ends kept', () => {
    const n = 10_000;
    const score = Float64Array.from({ length: n }, (_, i) => i / n);
    const isThreat = Uint8Array.from({ length: n }, (_, i) => +(i % 3 === 0));
    const c = threatCurves(isThreat, score);
    expect(c.roc.length).toBeLessThanOrEqual(200);
    expect(c.roc[0].threshold).toBe(score[n - 1]);
    expect(c.roc.at(-1)).toMatchObject({ fpr: 1, tpr: 1 });
  });

  it('computes the Brier score, ECE and reliability bins by hand', () => {
    expect(brierScore([1, 0], [0.8, 0.4])).toBeCloseTo((0.04 + 0.16) / 2, 12);
    // Bin [0.8, 0.9): scores 0.8, 0.8 with one threat -> |0.8 - 0.5|; bin [0.2, 0.3): 0.2, threat rate 0 -> 0.2.
    const bins = reliabilityCurve([1, 0, 0], [0.8, 0.8, 0.2], 10);
    expect(bins).toEqual([
      { lo: 0.2, hi: 0.3, rows: 1, meanScore: 0.2, threatRate: 0 },
      { lo: 0.8, hi: 0.9, rows: 2, meanScore: 0.8, threatRate: 0.5 },
    ]);
    expect(expectedCalibrationError([1, 0, 0], [0.8, 0.8, 0.2], 10)).toBeCloseTo((2 * 0.3 + 0.2) / 3, 12);
    // A score of exactly 1 falls in the last bin.
    expect(reliabilityCurve([1], [1], 10)[0]).toMatchObject({ lo: 0.9, hi: 1 });
  });
});
