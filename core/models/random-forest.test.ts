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

describe('random forest size cap', () => {
  const nodes = (m: RandomForest) => (m.toJSON().state as { trees: { feature: number[] }[] }).trees.reduce((s, t) => s + t.feature.length, 0);

  it('raises the least leaf weight so the whole forest stays within maxNodes, and says so', async () => {
    // Noisy labels: unlimited trees split down to single rows.
    const { X } = data();
    const rng = new Rng(9);
    const y = Int32Array.from({ length: X.rows }, () => (rng.next() < 0.5 ? 1 : 0));
    const free = new RandomForest({ nEstimators: 10, seed: 1 });
    await free.fit(X, y, { nClasses: 2 });
    const capped = new RandomForest({ nEstimators: 10, seed: 1, maxNodes: 600 });
    await capped.fit(X, y, { nClasses: 2 });
    expect(nodes(free)).toBeGreaterThan(600);
    expect(nodes(capped)).toBeLessThanOrEqual(600);
    expect(free.fitNotes).toEqual([]);
    // 2 x 400 rows x 10 trees / 600 nodes: leaves of at least 14 rows.
    expect(capped.fitNotes).toEqual(['leaves of at least 14 rows, so 10 trees on 400 rows stay within 600 nodes (maxNodes)']);
    const again = RandomForest.fromJSON(capped.toJSON());
    expect(again.predictProba(X)).toEqual(capped.predictProba(X));
  });

  it('leaves a forest that fits the default cap as it was', async () => {
    const { X, y } = data();
    const m = new RandomForest({ nEstimators: 5, seed: 1 });
    await m.fit(X, y, { nClasses: 2 });
    expect(m.fitNotes).toEqual([]);
    expect((m.toJSON().state as { sizeLeafWeight?: number }).sizeLeafWeight).toBeUndefined();
  });
});
