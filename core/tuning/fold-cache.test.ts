import { describe, expect, it } from 'vitest';
import type { Dataset } from '../data/frame.js';
import { Rng } from '../data/rng.js';
import { FoldCache } from './fold-cache.js';

function data(rows: number): Dataset {
  const rng = new Rng(1);
  return {
    features: { nRows: rows, columns: [{ kind: 'numeric', name: 'x', values: Float64Array.from({ length: rows }, () => rng.normal()) }] },
    labels: Int32Array.from({ length: rows }, (_, i) => i % 3 === 0 ? 1 : 0),
    classes: ['benign', 'attack'],
    positiveClass: 1,
  };
}

describe('FoldCache', () => {
  it('keeps folds until released, then builds the same folds again', () => {
    const cache = new FoldCache(data(600), 3, 7);
    const first = cache.get(300, 1, true);
    expect(cache.get(300, 1, true)).toBe(first);
    cache.release();
    const again = cache.get(300, 1, true);
    expect(again).not.toBe(first);
    expect(Array.from(again.Xtrain.data)).toEqual(Array.from(first.Xtrain.data));
    expect(Array.from(again.yval)).toEqual(Array.from(first.yval));
  });
});
