import { describe, expect, it } from 'vitest';
import { predict, randomRow, randomTree } from '../../test/helpers/random-trees.js';
import { Rng } from '../data/rng.js';
import { maxPathFeatures, MixedTreeShap } from './mixed-tree-shap.js';
import type { ShapTree } from './packed-trees.js';
import { TreeShap } from './tree-shap.js';

describe('maxPathFeatures', () => {
  it('counts distinct features per path, a repeated one once', () => {
    // 0: f2 -> (1: leaf, 2: f5 -> (3: f2 -> (5, 6), 4: leaf)): the deepest path has f2, f5, f2 = 2 distinct.
    const t = { feature: [2, -1, 5, 2, -1, -1, -1], left: [1, -1, 3, 5, -1, -1, -1] };
    expect(maxPathFeatures(t)).toBe(2);
    expect(maxPathFeatures({ feature: [-1], left: [-1] })).toBe(0);
  });
});

describe('MixedTreeShap', () => {
  const rng = new Rng(9);
  const M = 9;
  // Depths 2 .. 9: with the cut at 4 features some trees go each way.
  const trees: ShapTree[] = Array.from({ length: 8 }, (_, i) => randomTree(rng, M, 2 + i, { width: 2 }));
  const o = { width: 2, column: 1, scale: 0.125 };

  for (const linearAbove of [0, 4, Infinity]) {
    it(`equals Algorithm 2 and adds up to the output with linearAbove ${linearAbove}`, () => {
      const deep = trees.filter((t) => maxPathFeatures(t) > linearAbove).length;
      if (linearAbove === 4) expect(deep > 0 && deep < trees.length).toBe(true);
      const exact = new TreeShap(trees, o);
      const mixed = new MixedTreeShap(trees, { ...o, linearAbove });
      expect(Math.abs(mixed.expected - exact.expected)).toBeLessThan(1e-12);
      const rows = Array.from({ length: 6 }, () => randomRow(rng, M));
      const phi = new Float64Array(6 * M);
      mixed.explainRows(new Float64Array(rows.flat()), M, 0, 6, phi);
      rows.forEach((x, r) => {
        const want = new Float64Array(M);
        exact.explain(x, 0, want);
        for (let j = 0; j < M; j++) expect(Math.abs(phi[r * M + j] - want[j])).toBeLessThan(1e-9);
        const one = new Float64Array(M);
        mixed.explain(x, 0, one);
        expect(Math.abs(mixed.expected + one.reduce((s, v) => s + v, 0) - predict(trees, x, 1, 2, 0.125))).toBeLessThan(1e-9);
      });
    });
  }

  it('sends deep trees past its memory budget to the per-leaf engine, with the same values', () => {
    const all = new MixedTreeShap(trees, { ...o, linearAbove: 0 });
    const capped = new MixedTreeShap(trees, { ...o, linearAbove: 0, linearBudget: 2_000 });
    expect(all.linearTrees).toBe(trees.length);
    expect(capped.linearTrees).toBeGreaterThan(0);
    expect(capped.linearTrees).toBeLessThan(trees.length);
    expect(new MixedTreeShap(trees, { ...o, linearAbove: 0, linearBudget: 0 }).linearTrees).toBe(0);
    const x = randomRow(rng, M);
    const a = new Float64Array(M);
    const b = new Float64Array(M);
    all.explain(x, 0, a);
    capped.explain(x, 0, b);
    for (let j = 0; j < M; j++) expect(Math.abs(a[j] - b[j])).toBeLessThan(1e-9);
  });

  it('explains no trees as nothing', () => {
    const mixed = new MixedTreeShap([]);
    expect(mixed.expected).toBe(0);
    const phi = new Float64Array(2);
    mixed.explain([1, 2], 0, phi);
    expect(Array.from(phi)).toEqual([0, 0]);
  });
});
