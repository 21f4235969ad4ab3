import { describe, expect, it } from 'vitest';
import { Rng } from '../../data/rng.js';
import type { BinnedMatrix } from './binning.js';
import { GradTreeScratch, growGradTree, leafOfBinned } from './grad-tree-builder.js';
import { growMultiTree, MultiTreeScratch } from './multi-tree-builder.js';

/** Random bins: features 0-2 numeric (255 bins), feature 3 categorical (40 bins); K gradient columns from rules on both. */
function problem(rows: number, K: number, seed: number): { X: BinnedMatrix; g: Float64Array[]; w: Float64Array } {
  const rng = new Rng(seed);
  const cols = 4;
  const nBins = Int32Array.from([255, 255, 255, 40]);
  const codes = new Uint8Array(rows * cols);
  for (let f = 0; f < cols; f++) for (let i = 0; i < rows; i++) codes[f * rows + i] = rng.int(nBins[f]);
  const g = Array.from({ length: K }, (_, k) =>
    Float64Array.from({ length: rows }, (_, i) => (codes[3 * rows + i] % (k + 2) === 0 ? -1 : 0.5) + (codes[k % 3 * rows + i] > 128 ? 0.3 : -0.3) + 0.2 * rng.normal()),
  );
  const w = Float64Array.from({ length: rows }, () => 1 + rng.int(2));
  return { X: { codes, rows, cols, nBins, categorical: Uint8Array.from([0, 0, 0, 1]) }, g, w };
}

const hessian = (i: number, k: number) => 0.1 + ((i + k) % 7) / 10;
const params = { maxLeafNodes: 16, maxDepth: 0, minSamplesLeaf: 20, l2: 0, minHessianToSplit: 1e-3, learningRate: 1 };

function grow(X: BinnedMatrix, g: Float64Array[], w: Float64Array, wasm: boolean, groupBytes?: number) {
  const K = g.length;
  const s = new MultiTreeScratch(X, w, K, { maxLeafNodes: 16, wasm, groupBytes });
  if (groupBytes) expect(s.groups).toEqual([0, 1, 2, 4]);
  for (let i = 0; i < X.rows; i++) {
    for (let k = 0; k < K; k++) {
      s.vec[i * s.S + 2 * k] = w[i] * g[k][i];
      s.vec[i * s.S + 2 * k + 1] = w[i] * hessian(i, k);
    }
  }
  const got = new Float64Array(X.rows * K);
  const tree = growMultiTree(s, params, (v, start, end) => {
    for (let j = start; j < end; j++) got.set(v, s.rows[j] * K);
  });
  return { tree, got, kernel: s.kernel !== null };
}

describe('multi-output tree builder', () => {
  const { X, g, w } = problem(5_000, 3, 1);

  it('grows the same tree with the WebAssembly (SIMD, one pass a feature group) and the JavaScript histogram build', () => {
    // 255 bins of 8 float64s: 16 KB a feature, so 20 KB groups hold one numeric feature each (the 40-bin categorical joins the last).
    const a = grow(X, g, w, true, 20_000);
    const b = grow(X, g, w, false);
    expect(a.kernel).toBe(true);
    expect(b.kernel).toBe(false);
    const n = a.tree.size;
    expect(n).toBe(31);
    expect(Array.from(b.tree.feature.subarray(0, n))).toEqual(Array.from(a.tree.feature.subarray(0, n)));
    expect(Array.from(b.tree.bin.subarray(0, n))).toEqual(Array.from(a.tree.bin.subarray(0, n)));
    for (let i = 0; i < 3 * n; i++) expect(b.tree.value[i]).toBeCloseTo(a.tree.value[i], 9);
    expect(a.tree.binsLeft.size).toBeGreaterThan(0);
  });

  it('gives each row the K values of the leaf it reaches (categorical sets included)', () => {
    const { tree, got } = grow(X, g, w, true);
    for (let i = 0; i < X.rows; i++) {
      const leaf = leafOfBinned(tree, X.codes, X.rows, i);
      expect(Array.from(tree.value.subarray(3 * leaf, 3 * leaf + 3))).toEqual(Array.from(got.subarray(3 * i, 3 * i + 3)));
    }
  });

  it('with one class grows the tree growGradTree grows', () => {
    const one = problem(5_000, 1, 2);
    const multi = grow(one.X, one.g, one.w, true).tree;
    const s = new GradTreeScratch(one.X, one.w, { maxLeafNodes: 16 });
    for (let i = 0; i < one.X.rows; i++) {
      s.gh[2 * i] = one.w[i] * one.g[0][i];
      s.gh[2 * i + 1] = one.w[i] * hessian(i, 0);
    }
    const single = growGradTree(s, params, () => {});
    const n = single.size;
    expect(multi.size).toBe(n);
    expect(Array.from(multi.feature.subarray(0, n))).toEqual(Array.from(single.feature.subarray(0, n)));
    expect(Array.from(multi.bin.subarray(0, n))).toEqual(Array.from(single.bin.subarray(0, n)));
    for (let i = 0; i < n; i++) expect(multi.value[i]).toBeCloseTo(single.value[i], 9);
  });
});
