import { describe, expect, it } from 'vitest';
import { Rng } from '../data/rng.js';
import { RandomForest } from './random-forest.js';

/** 400 rows, 3 features, the label a noisy function of the first two. */
function data() {
  const rng = new Rng(5);
  const n = 400;
  const X = new Float32Array(n * 3);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) X[i * 3 + c] = rng.next();
    y[i] = X[i * 3] + X[i * 3 + 1] + 0.3 * rng.next() > 1.15 ? 1 : 0;
  }
  return { X: { data: X, rows: n, cols: 3 }, y };
}

describe('random forest within a deadline', () => {
  it('starts no tree after the deadline (the first always), so a refit inside a time budget ends with the trees it has', async () => {
    const { X, y } = data();
    const late = new RandomForest({ nEstimators: 20, seed: 1 });
    await late.fit(X, y, { nClasses: 2, deadline: Date.now() - 1 });
    const open = new RandomForest({ nEstimators: 20, seed: 1 });
    await open.fit(X, y, { nClasses: 2, deadline: Date.now() + 3_600_000 });
    const trees = (m: RandomForest) => (m.toJSON().state as { trees: unknown[] }).trees.length;
    expect(trees(late)).toBe(1);
    expect(trees(open)).toBe(20);
    // The one tree still scores every row.
    expect(late.predictProba(X)).toHaveLength(2 * 400);
  });
});
