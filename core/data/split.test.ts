import { describe, expect, it } from 'vitest';
import { complement, stratifiedKFold, stratifiedSplit } from './split.js';

const labels = Int32Array.from({ length: 1000 }, (_, i) => (i % 10 < 3 ? 0 : i % 10 < 9 ? 1 : 2));
const share = (idx: Int32Array, k: number) => Array.from(idx).filter((i) => labels[i] === k).length / idx.length;

/** Rows per class of `idx` (labels in [0, K)). */
function classCounts(y: Int32Array, idx: Int32Array, K: number): Float64Array {
  const out = new Float64Array(K);
  for (let i = 0; i < idx.length; i++) out[y[idx[i]]]++;
  return out;
}

/** Whether `a` and `b` together hold each of [0, n) exactly once. */
function partitions(n: number, a: Int32Array, b: Int32Array): boolean {
  const seen = new Uint8Array(n);
  for (const part of [a, b]) for (let i = 0; i < part.length; i++) seen[part[i]]++;
  return a.length + b.length === n && seen.every((c) => c === 1);
}

describe('splits', () => {
  it('keeps class shares in a seeded stratified split', () => {
    const { train, test } = stratifiedSplit(labels, 0.2, 42);
    expect(test.length).toBe(200);
    expect(new Set([...train, ...test]).size).toBe(1000);
    for (const k of [0, 1, 2]) expect(share(test, k)).toBeCloseTo(share(train, k), 2);
    expect(stratifiedSplit(labels, 0.2, 42).test).toEqual(test);
    expect(stratifiedSplit(labels, 0.2, 43).test).not.toEqual(test);
  });

  it('puts every row in exactly one validation fold, stratified', () => {
    const folds = stratifiedKFold(labels, 5, 7);
    const seen = new Int32Array(1000);
    for (const f of folds) {
      f.test.forEach((i) => seen[i]++);
      expect(f.train.length + f.test.length).toBe(1000);
      expect(share(f.test, 2)).toBeCloseTo(0.1, 2);
    }
    expect(seen.every((n) => n === 1)).toBe(true);
  });

  it('rebuilds the training rows from test indices', () => {
    expect(Array.from(complement(6, [4, 1]))).toEqual([0, 2, 3, 5]);
    expect(Array.from(complement(4, [1, 1, 3]))).toEqual([0, 2]);
  });

  // The validate stage split 1M rows with `push(...rows)` and threw RangeError (call stack size).
  describe('at a million rows, 600,000 in one class', () => {
    const n = 1_000_000;
    const shares = [0.6, 0.3, 0.1];
    const big = new Int32Array(n);
    for (let i = 0; i < n; i++) big[i] = (i * 7) % 10 < 6 ? 0 : (i * 7) % 10 < 9 ? 1 : 2;

    it('splits with every class keeping its share, seeded', () => {
      const { train, test } = stratifiedSplit(big, 0.2, 42);
      expect(test.length).toBe(200_000);
      expect(partitions(n, train, test)).toBe(true);
      const inTest = classCounts(big, test, 3);
      const inTrain = classCounts(big, train, 3);
      shares.forEach((s, k) => {
        expect(inTest[k] / test.length).toBeCloseTo(s, 4);
        expect(inTrain[k] / train.length).toBeCloseTo(s, 4);
      });
      const again = stratifiedSplit(big, 0.2, 42);
      expect(again.test).toEqual(test);
      expect(stratifiedSplit(big, 0.2, 43).test.subarray(0, 100)).not.toEqual(test.subarray(0, 100));
    });

    it('folds with every class keeping its share, seeded', () => {
      const folds = stratifiedKFold(big, 5, 7);
      const seen = new Uint8Array(n);
      for (const f of folds) {
        expect(partitions(n, f.train, f.test)).toBe(true);
        expect(Math.abs(f.test.length - n / 5)).toBeLessThanOrEqual(1);
        for (let i = 0; i < f.test.length; i++) seen[f.test[i]]++;
        const counts = classCounts(big, f.test, 3);
        shares.forEach((s, k) => expect(counts[k] / f.test.length).toBeCloseTo(s, 4));
      }
      expect(seen.every((c) => c === 1)).toBe(true);
      expect(stratifiedKFold(big, 5, 7)[2].test).toEqual(folds[2].test);
    });

    it('rebuilds the training rows of a million-row split from its test rows', () => {
      const { train, test } = stratifiedSplit(big, 0.2, 1);
      const rebuilt = complement(n, test);
      expect(rebuilt).toEqual(train.slice().sort());
    });
  });
});
