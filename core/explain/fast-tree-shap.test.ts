import { describe, expect, it } from 'vitest';
import { Rng } from '../data/rng.js';
import { blockWalkModule } from './block-walk-wat.js';
import { FastTreeShap, type FastTreeShapOptions } from './fast-tree-shap.js';
import { TreeShap, type ShapTree } from './tree-shap.js';

/**
 * A random tree on `cols` features: thresholds on a coarse grid (so trees share split tests),
 * NaN directions, and categorical set splits on `categorical` features.
 */
function randomTree(rng: Rng, cols: number, maxDepth: number, categorical: Set<number>): ShapTree {
  const t: ShapTree & { categories: NonNullable<ShapTree['categories']>; defaultLeft: boolean[] } = { feature: [], threshold: [], left: [], value: [], cover: [], categories: [], defaultLeft: [] };
  const add = (cover: number) => {
    t.feature.push(-1);
    t.threshold.push(0);
    t.left.push(-1);
    t.cover!.push(cover);
    t.categories.push(null);
    t.defaultLeft.push(false);
    t.value.push(rng.next() * 2 - 1);
    return t.feature.length - 1;
  };
  const grow = (node: number, depth: number) => {
    if (depth >= maxDepth || (depth > 0 && rng.next() < 0.15)) return;
    const f = rng.int(cols);
    const left = add(0);
    add(0);
    t.cover![left] = t.cover![node] * (0.05 + 0.9 * rng.next());
    t.cover![left + 1] = t.cover![node] - t.cover![left];
    t.feature[node] = f;
    t.left[node] = left;
    t.defaultLeft[node] = rng.next() < 0.5;
    if (categorical.has(f)) t.categories[node] = { n: 4, left: [-2, -1, 0, 1, 2, 3].filter(() => rng.next() < 0.5) };
    else t.threshold[node] = Math.round((rng.next() * 2 - 1) * 4) / 4;
    grow(left, depth + 1);
    grow(left + 1, depth + 1);
  };
  grow(add(50 + rng.int(1000)), 0);
  return t;
}

/** Rows on the thresholds' grid (ties included), some values missing; categorical codes from -2 to 4. */
function randomRows(rng: Rng, rows: number, cols: number, categorical: Set<number>): Float32Array {
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < x.length; i++) {
    const f = i % cols;
    x[i] = rng.next() < 0.05 ? NaN : categorical.has(f) ? rng.int(7) - 2 : Math.round((rng.next() * 2 - 1) * 5) / 4;
  }
  return x;
}

const forms: [string, FastTreeShapOptions][] = [
  ['blocks in WebAssembly', {}],
  ['blocks in JavaScript', { wasm: false }],
  ['some blocks, G tables for the leaves past the block budget', { memoryShare: 1e-5 }],
  ['G tables', { blockBits: 0 }],
  ['per-row polynomials', { blockBits: 0, tableMaxFeatures: 0 }],
];

describe.each(forms)('FastTreeShap.explainRows, %s', (_, options) => {
  it('equals Algorithm 2 row by row over several chunks of rows, at an offset, with NaN and categorical splits', () => {
    const rng = new Rng(17);
    const cols = 9;
    const categorical = new Set([2, 7]);
    const trees = Array.from({ length: 12 }, () => randomTree(rng, cols, 2 + rng.int(7), categorical));
    const fast = new FastTreeShap(trees, options);
    const exact = new TreeShap(trees);
    const rows = 150;
    const x = randomRows(rng, rows, cols, categorical);
    const r0 = 3;
    const phi = new Float64Array((rows - r0) * cols);
    fast.explainRows(x, cols, r0, rows, phi);
    const want = new Float64Array(cols);
    let worst = 0;
    for (let r = r0; r < rows; r++) {
      want.fill(0);
      exact.explain(x, r * cols, want);
      for (let j = 0; j < cols; j++) worst = Math.max(worst, Math.abs(phi[(r - r0) * cols + j] - want[j]));
    }
    expect(worst).toBeLessThan(1e-9);
    expect(Math.abs(fast.expected - exact.expected)).toBeLessThan(1e-9);
  });

  it('gives each row what explain gives it alone', () => {
    const rng = new Rng(4);
    const cols = 6;
    const trees = Array.from({ length: 5 }, () => randomTree(rng, cols, 6, new Set()));
    const fast = new FastTreeShap(trees, options);
    const rows = 70;
    const x = randomRows(rng, rows, cols, new Set());
    const phi = new Float64Array(rows * cols);
    fast.explainRows(x, cols, 0, rows, phi);
    for (let r = 0; r < rows; r++) {
      const alone = new Float64Array(cols);
      fast.explain(x, r * cols, alone);
      expect(Array.from(phi.subarray(r * cols, (r + 1) * cols))).toEqual(Array.from(alone));
    }
  });
});

describe('the block walk kernel', () => {
  it('compiles here, so the WebAssembly forms above ran it', () => {
    expect(blockWalkModule).toBeInstanceOf(WebAssembly.Module);
  });
});
