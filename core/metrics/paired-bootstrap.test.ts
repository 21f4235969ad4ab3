import { describe, expect, it } from 'vitest';
import { Rng } from '../data/rng.js';
import { classificationReport } from './classification-report.js';
import { pairedBootstrap } from './paired-bootstrap.js';
import { weightedScorer, type PromotionMetric } from './weighted-metrics.js';

const METRICS: PromotionMetric[] = ['f1', 'macroF1', 'rocAuc', 'prAuc', 'accuracy'];

/** n rows of K classes; probabilities that lean to the true class with `skill`, rounded so ties occur. */
function predictions(n: number, K: number, skill: number, seed: number, labels?: Int32Array) {
  const rng = new Rng(seed);
  const y = labels ?? Int32Array.from({ length: n }, () => rng.int(K));
  const proba = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let k = 0; k < K; k++) sum += proba[i * K + k] = Math.round((rng.next() + (k === y[i] ? skill : 0)) * 20) / 20 + 0.01;
    for (let k = 0; k < K; k++) proba[i * K + k] /= sum;
  }
  return { y, proba };
}

describe('weighted metrics', () => {
  it.each([2, 3])('equal classificationReport with unit weights (%i classes)', (K) => {
    const { y, proba } = predictions(500, K, 0.4, K);
    const report = classificationReport(y, proba, Array.from({ length: K }, (_, k) => `c${k}`), 1);
    const ones = new Float64Array(500).fill(1);
    for (const m of METRICS) expect(weightedScorer(m, y, proba, K, 1).score(ones), m).toBeCloseTo(report[m], 12);
  });

  it('treat a weight as that many copies of the row', () => {
    const K = 2;
    const { y, proba } = predictions(300, K, 0.3, 9);
    const rng = new Rng(4);
    const w = Float64Array.from({ length: 300 }, () => rng.int(4));
    const copies: number[] = [];
    w.forEach((c, i) => {
      for (let t = 0; t < c; t++) copies.push(i);
    });
    const yCopy = Int32Array.from(copies, (i) => y[i]);
    const pCopy = Float64Array.from({ length: copies.length * K }, (_, j) => proba[copies[Math.floor(j / K)] * K + (j % K)]);
    const report = classificationReport(yCopy, pCopy, ['benign', 'threat'], 1);
    for (const m of METRICS) expect(weightedScorer(m, y, proba, K, 1).score(w), m).toBeCloseTo(report[m], 12);
  });
});

describe('paired bootstrap', () => {
  const { y, proba: weak } = predictions(2000, 2, 0.2, 1);
  const { proba: strong } = predictions(2000, 2, 0.5, 2, y);

  it('gives a tie a lower bound of 0, which never passes "> 0"', () => {
    for (const m of METRICS) {
      const r = pairedBootstrap(m, y, weak, weak, 2, 1);
      expect(r.difference, m).toBe(0);
      expect(r.lower, m).toBe(0);
    }
  });

  it('puts a clearly better model above 0 and one changed row below it', () => {
    const better = pairedBootstrap('f1', y, strong, weak, 2, 1);
    expect(better.difference).toBeGreaterThan(0.05);
    expect(better.lower).toBeGreaterThan(0);
    expect(better.lower).toBeLessThan(better.difference);
    // The champion wrong on one more row: a real but tiny difference the interval cannot tell from 0.
    const nudged = Float64Array.from(weak);
    const i = y.findIndex((label, r) => label === 1 && weak[r * 2 + 1] < 0.5);
    [nudged[i * 2], nudged[i * 2 + 1]] = [0.1, 0.9];
    const tiny = pairedBootstrap('f1', y, nudged, weak, 2, 1);
    expect(tiny.difference).toBeGreaterThan(0);
    expect(tiny.lower).toBeLessThanOrEqual(0);
  });

  it('is reproducible from its seed', () => {
    const a = pairedBootstrap('rocAuc', y, strong, weak, 2, 1, { seed: 7 });
    expect(pairedBootstrap('rocAuc', y, strong, weak, 2, 1, { seed: 7 })).toEqual(a);
    expect(pairedBootstrap('rocAuc', y, strong, weak, 2, 1, { seed: 8 }).lower).not.toBe(a.lower);
  });

  it('above maxRows resamples a subsample and scales its spread to the full set', () => {
    const big = predictions(40_000, 2, 0.2, 3);
    const other = predictions(40_000, 2, 0.22, 4, big.y);
    const full = pairedBootstrap('f1', big.y, other.proba, big.proba, 2, 1, { resamples: 400, maxRows: 40_000 });
    const sub = pairedBootstrap('f1', big.y, other.proba, big.proba, 2, 1, { resamples: 400, maxRows: 4_000 });
    expect(sub).toMatchObject({ rows: 40_000, resampledRows: 4_000, difference: full.difference });
    const width = (r: typeof full) => r.difference - r.lower;
    expect(width(sub) / width(full)).toBeGreaterThan(0.7);
    expect(width(sub) / width(full)).toBeLessThan(1.4);
  });
});
