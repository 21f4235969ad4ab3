import { describe, expect, it } from 'vitest';
import { Rng } from '../../data/rng.js';
import type { BinnedMatrix } from './binning.js';
import { GradTreeScratch, growGradTree, leafOfBinned } from './grad-tree-builder.js';

/** Random bins: features 0-2 numeric (255 bins), feature 3 categorical (40 bins); gradients from a rule on both. */
function problem(rows: number, seed: number): { X: BinnedMatrix; g: Float64Array; w: Float64Array } {
  const rng = new Rng(seed);
  const cols = 4;
  const nBins = Int32Array.from([255, 255, 255, 40]);
  const codes = new Uint8Array(rows * cols);
  for (let f = 0; f < cols; f++) for (let i = 0; i < rows; i++) codes[f * rows + i] = rng.int(nBins[f]);
  const g = Float64Array.from({ length: rows }, (_, i) => (codes[3 * rows + i] % 3 === 0 ? -1 : 0.5) + (codes[i] > 128 ? 0.3 : -0.3) + 0.2 * rng.normal());
  const w = Float64Array.from({ length: rows }, () => 1 + rng.int(2));
  return { X: { codes, rows, cols, nBins, categorical: Uint8Array.from([0, 0, 0, 1]) }, g, w };
}

function grow(X: BinnedMatrix, g: Float64Array, w: Float64Array, counts: boolean, wasm: boolean) {
  const s = new GradTreeScratch(X, w, { counts, maxLeafNodes: 16, wasm });
  for (let i = 0; i < X.rows; i++) {
    s.gh[2 * i] = w[i] * g[i];
    s.gh[2 * i + 1] = w[i] * (0.1 + (i % 7) / 10);
  }
  const leafRows = new Int32Array(X.rows);
  const tree = growGradTree(s, { maxLeafNodes: 16, maxDepth: 0, minSamplesLeaf: counts ? 20 : 1, l2: 0, minHessianToSplit: 1e-3, learningRate: 1 }, (v, start, end) => {
    for (let j = start; j < end; j++) leafRows[s.rows[j]] = 1;
  });
  return { tree, leafRows, kernel: s.kernel !== null };
}

describe('gradient tree builder', () => {
  const { X, g, w } = problem(5_000, 1);

  it('grows the same tree with the WebAssembly and the JavaScript histogram build, with and without counts', () => {
    for (const counts of [true, false]) {
      const a = grow(X, g, w, counts, true);
      const b = grow(X, g, w, counts, false);
      expect(a.kernel).toBe(true);
      expect(b.kernel).toBe(false);
      const n = a.tree.size;
      expect(n).toBe(31);
      expect(Array.from(b.tree.feature.subarray(0, n))).toEqual(Array.from(a.tree.feature.subarray(0, n)));
      expect(Array.from(b.tree.bin.subarray(0, n))).toEqual(Array.from(a.tree.bin.subarray(0, n)));
      expect(Array.from(b.tree.value.subarray(0, n))).toEqual(Array.from(a.tree.value.subarray(0, n)));
      expect(a.tree.binsLeft.size).toBeGreaterThan(0);
      expect(a.leafRows.every((v) => v === 1)).toBe(true);
    }
  });

  it('sends each row to the leaf whose value it received (categorical sets included)', () => {
    const s = new GradTreeScratch(X, w, { maxLeafNodes: 16 });
    for (let i = 0; i < X.rows; i++) {
      s.gh[2 * i] = w[i] * g[i];
      s.gh[2 * i + 1] = w[i] * (0.1 + (i % 7) / 10);
    }
    const got = new Float64Array(X.rows);
    const tree = growGradTree(s, { maxLeafNodes: 16, maxDepth: 0, minSamplesLeaf: 20, l2: 0, minHessianToSplit: 1e-3, learningRate: 1 }, (v, start, end) => {
      for (let j = start; j < end; j++) got[s.rows[j]] = v;
    });
    for (let i = 0; i < X.rows; i++) expect(tree.value[leafOfBinned(tree, X.codes, X.rows, i)]).toBe(got[i]);
  });
});
