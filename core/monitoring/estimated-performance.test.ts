import { describe, expect, it } from 'vitest';
import { Rng } from '../data/rng.js';
import { rocAuc } from '../metrics/ranking.js';
import { estimatePerformance, expectedRocAuc } from './estimated-performance.js';

/** Realised precision, recall, F1 at `threshold` for labels drawn as Bernoulli(score). */
function realised(scores: Float64Array, labels: boolean[], threshold: number) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  scores.forEach((s, i) => {
    if (s >= threshold && labels[i]) tp++;
    else if (s >= threshold) fp++;
    else if (labels[i]) fn++;
  });
  return { precision: tp / (tp + fp), recall: tp / (tp + fn), f1: (2 * tp) / (2 * tp + fp + fn) };
}

function calibratedScores(n: number, rng: Rng): Float64Array {
  // A bimodal score distribution, as a good detector's: most rows near 0 or 1.
  return Float64Array.from({ length: n }, () => {
    const u = rng.next();
    return rng.next() < 0.35 ? 1 - u * u * 0.6 : u * u * 0.6;
  });
}

describe('estimatePerformance', () => {
  it('works out a hand-checked case', () => {
    // Flagged: 0.9, 0.6 -> TP 1.5, FP 0.5; unflagged: 0.2, 0.0 -> FN 0.2.
    const e = estimatePerformance([0.9, 0.6, 0.2, 0], 0.5);
    expect(e.precision.value).toBeCloseTo(0.75, 12);
    expect(e.recall.value).toBeCloseTo(1.5 / 1.7, 12);
    expect(e.f1.value).toBeCloseTo(3 / (1.7 + 2), 12);
    expect(e.accuracy.value).toBeCloseTo((1.5 + 2 - 0.2) / 4, 12);
    expect(e.flaggedShare).toBe(0.5);
    // var(TP) = 0.09 + 0.24: precision se = sqrt(0.33) / 2.
    expect(e.precision.se).toBeCloseTo(Math.sqrt(0.33) / 2, 12);
  });

  it('matches the mean and spread of the realised metrics when labels follow the scores', () => {
    const rng = new Rng(7);
    const scores = calibratedScores(20_000, rng);
    const est = estimatePerformance(scores, 0.5);
    const f1s: number[] = [];
    const aucs: number[] = [];
    for (let draw = 0; draw < 60; draw++) {
      const labels = Array.from(scores, (p) => rng.next() < p);
      f1s.push(realised(scores, labels, 0.5).f1);
      aucs.push(rocAuc(labels, scores));
    }
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const sd = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / (a.length - 1));
    expect(Math.abs(mean(f1s) - est.f1.value)).toBeLessThan(3 * (est.f1.se / Math.sqrt(60)) + 1e-3);
    expect(sd(f1s) / est.f1.se).toBeGreaterThan(0.6);
    expect(sd(f1s) / est.f1.se).toBeLessThan(1.5);
    expect(Math.abs(mean(aucs) - est.rocAuc)).toBeLessThan(0.002);
  });

  it('misses the realised F1 when the scores are not calibrated (what feedback is for)', () => {
    const rng = new Rng(3);
    const scores = calibratedScores(20_000, rng);
    // True threat probability is far below the score: an over-confident model.
    const labels = Array.from(scores, (p) => rng.next() < p * 0.5);
    const est = estimatePerformance(scores, 0.5);
    expect(est.f1.value - realised(scores, labels, 0.5).f1).toBeGreaterThan(0.1);
  });

  it('gives NaN rather than throwing when nothing is flagged or there are no rows', () => {
    expect(estimatePerformance([0.1, 0.2], 0.5).precision.value).toBeNaN();
    const empty = estimatePerformance([], 0.5);
    expect(empty.rows).toBe(0);
    expect(empty.f1.value).toBeNaN();
    expect(empty.rocAuc).toBeNaN();
  });
});

describe('expectedRocAuc', () => {
  it('is 1 for scores of exactly 0 and 1, and counts ties as half', () => {
    expect(expectedRocAuc([0, 1, 0, 1])).toBe(1);
    // Two rows of 0.5: one pair each way, each tied: 0.5.
    expect(expectedRocAuc([0.5, 0.5])).toBeCloseTo(0.5, 12);
  });

  it('handles a million rows', () => {
    const rng = new Rng(11);
    const auc = expectedRocAuc(calibratedScores(1_000_000, rng));
    expect(auc).toBeGreaterThan(0.8);
    expect(auc).toBeLessThan(1);
  });
});
