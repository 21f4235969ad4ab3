import { describe, expect, it } from 'vitest';
import type { Dataset, Frame } from '../data/frame.js';
import { compareWithChampion } from './champion-comparison.js';
import { decidePromotion, type ChampionComparison } from './promotion.js';
import { rowHashes } from './training-rows.js';

const measured = (difference: number, lower: number): ChampionComparison => ({
  version: 3,
  testRows: 200,
  rows: 180,
  difference,
  lower,
  candidate: 0.9 + difference,
  champion: 0.9,
  confidence: 0.95,
  resamples: 1000,
  resampledRows: 180,
});

describe('promotion rule', () => {
  const rule = { metric: 'f1' as const, minDelta: 0.001 };

  it('promotes the first model', () => {
    expect(decidePromotion(rule, { f1: 0.9 })).toEqual({ promote: true, reason: 'no production model yet' });
  });

  it('promotes when the lower bound is above 0 and the difference reaches minDelta, naming both and the rows', () => {
    const d = decidePromotion(rule, { f1: 0.95 }, measured(0.05, 0.01));
    expect(d.promote).toBe(true);
    expect(d.reason).toBe(
      "f1 +0.0500 (0.9500 vs production v3 0.9000) on 180 of 200 test rows outside v3's training rows; 95% one-sided lower bound +0.0100 (paired bootstrap, 1000 resamples of 180 rows); rule: lower bound > 0 and difference >= minDelta 0.001: promoted",
    );
  });

  it('keeps a tie, a difference within the noise and one below minDelta as candidates', () => {
    expect(decidePromotion({ ...rule, minDelta: 0 }, { f1: 0.9 }, measured(0, 0))).toMatchObject({ promote: false, reason: expect.stringContaining('kept as a candidate') });
    expect(decidePromotion(rule, { f1: 0.92 }, measured(0.02, -0.003)).promote).toBe(false);
    expect(decidePromotion({ ...rule, minDelta: 0.05 }, { f1: 0.92 }, measured(0.02, 0.01)).promote).toBe(false);
    expect(decidePromotion(rule, { f1: 0.92 }, measured(0.02, NaN))).toMatchObject({ promote: false, reason: expect.stringContaining('undefined in most resamples') });
  });

  it('with confidence 0 needs only a difference above 0 and at least minDelta', () => {
    const r = { ...rule, minDelta: 0, confidence: 0 };
    expect(decidePromotion(r, { f1: 0.9 }, measured(0, NaN)).promote).toBe(false);
    expect(decidePromotion(r, { f1: 0.9 }, measured(0.001, NaN))).toMatchObject({ promote: true, reason: expect.stringContaining('rule: difference > 0 and >= minDelta 0') });
  });

  it('does not promote when the comparison was refused', () => {
    expect(decidePromotion(rule, { f1: 0.99 }, { version: 3, testRows: 200, rows: 5, refused: 'only 5 rows' })).toEqual({ promote: false, reason: 'not promoted: only 5 rows' });
  });
});

describe('comparison with production', () => {
  // 400 rows, label = (x > 0.5); the candidate is right everywhere, production wrong where x is in (0.5, 0.6].
  const n = 400;
  const x = Float64Array.from({ length: n }, (_, i) => (i + 0.5) / n);
  const test: Dataset = { features: { nRows: n, columns: [{ kind: 'numeric', name: 'x', values: x }] }, labels: Int32Array.from(x, (v) => (v > 0.5 ? 1 : 0)), classes: ['normal', 'attack'], positiveClass: 1 };
  const proba = (predict: (v: number) => number) => (f: Frame) => {
    const col = f.columns[0] as { values: Float64Array };
    return Float64Array.from({ length: f.nRows * 2 }, (_, j) => (j % 2 ? predict(col.values[j >> 1]) : 1 - predict(col.values[j >> 1])));
  };
  const candidate = proba((v) => (v > 0.5 ? 0.9 : 0.1))(test.features);
  const production = proba((v) => (v > 0.6 ? 0.9 : 0.1));
  const hashes = rowHashes(test);
  const rule = { metric: 'accuracy' as const, minDelta: 0 };

  it('scores production only on the test rows it was not trained on, and says how many', () => {
    // Production was trained on the rows in (0.5, 0.6]: on the others it is as right as the candidate.
    const trainedOn = Float64Array.from(hashes.filter((_, i) => x[i] > 0.5 && x[i] <= 0.6)).sort();
    const c = compareWithChampion(rule, test, hashes, candidate, { version: 2, predictProba: production, trainingRows: trainedOn });
    expect(c).toMatchObject({ version: 2, testRows: 400, rows: 360, difference: 0, lower: 0 });
    expect(decidePromotion(rule, { accuracy: 1 }, c).promote).toBe(false);
    const unseen = compareWithChampion(rule, test, hashes, candidate, { version: 2, predictProba: production, trainingRows: new Float64Array(0) });
    expect(unseen).toMatchObject({ rows: 400, difference: expect.closeTo(0.1, 12) });
    expect(decidePromotion(rule, { accuracy: 1 }, unseen).promote).toBe(true);
  });

  it('refuses when too few rows are left, or when production has no record of its training rows', () => {
    const most = Float64Array.from(hashes.slice(0, 350)).sort();
    expect(compareWithChampion(rule, test, hashes, candidate, { version: 2, predictProba: production, trainingRows: most })).toMatchObject({
      rows: 50,
      refused: "only 50 of 400 test rows lie outside production v2's training rows (at least 100 needed to compare)",
    });
    expect(compareWithChampion({ ...rule, minRows: 50 }, test, hashes, candidate, { version: 2, predictProba: production, trainingRows: most })).toMatchObject({ rows: 50, difference: 0 });
    expect(compareWithChampion(rule, test, hashes, candidate, { version: 2, predictProba: production, trainingRows: undefined })).toMatchObject({
      refused: expect.stringContaining('no record of its training rows'),
    });
  });
});
