import { describe, expect, it } from 'vitest';
import { complement, stratifiedKFold, stratifiedSplit } from './split.js';

const labels = Int32Array.from({ length: 1000 }, (_, i) => (i % 10 < 3 ? 0 : i % 10 < 9 ? 1 : 2));
const share = (idx: Int32Array, k: number) => Array.from(idx).filter((i) => labels[i] === k).length / idx.length;

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
  });
});
