import { describe, expect, it } from 'vitest';
import { bruteForce, predict, randomRow, randomTree } from '../../test/helpers/random-trees.js';
import { Rng } from '../data/rng.js';
import { Forest } from '../models/tree/forest.js';
import { FastTreeShap } from './fast-tree-shap.js';
import { LinearTreeShap } from './linear-tree-shap.js';
import type { PackOptions } from './packed-trees.js';
import { TreeShap, type ShapTree } from './tree-shap.js';

interface Engine {
  expected: number;
  explain(x: ArrayLike<number>, x0: number, phi: Float64Array): void;
}
/** Algorithm 2, the per-leaf form with block tables, G tables and neither, and the linear form (Gauss-Legendre). */
const engines: [string, (trees: ShapTree[], o?: PackOptions) => Engine][] = [
  ['Algorithm 2', (t, o) => new TreeShap(t, o)],
  ['per-leaf blocks', (t, o) => new FastTreeShap(t, o)],
  ['per-leaf G tables', (t, o) => new FastTreeShap(t, { ...o, blockBits: 0 })],
  ['per-leaf polynomials', (t, o) => new FastTreeShap(t, { ...o, blockBits: 0, tableMaxFeatures: 0 })],
  ['linear, Gauss-Legendre', (t, o) => new LinearTreeShap(t, o)],
];

describe.each(engines)('TreeSHAP, %s', (_, make) => {
  it('equals brute-force Shapley values on random single trees with repeated features', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 40; trial++) {
      const M = 1 + rng.int(10);
      const tree = randomTree(rng, M, 1 + rng.int(7));
      const shap = make([tree]);
      for (let r = 0; r < 5; r++) {
        const x = randomRow(rng, M);
        const phi = new Float64Array(M);
        shap.explain(x, 0, phi);
        const want = bruteForce([tree], x, M);
        expect(shap.expected).toBeCloseTo(want.base, 9);
        for (let j = 0; j < M; j++) expect(Math.abs(phi[j] - want.phi[j])).toBeLessThan(1e-9);
        expect(Math.abs(shap.expected + phi.reduce((a, b) => a + b, 0) - predict([tree], x))).toBeLessThan(1e-9);
      }
    }
  });

  it('equals brute force on random forests (averaged, one column of K-wide leaves) and categorical set splits', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 15; trial++) {
      const M = 2 + rng.int(9);
      const categorical = new Set([0, M - 1]);
      const width = 3;
      const trees = Array.from({ length: 2 + rng.int(6) }, () => randomTree(rng, M, 1 + rng.int(6), { categorical, width }));
      const col = rng.int(width);
      const scale = 1 / trees.length;
      const shap = make(trees, { width, column: col, scale });
      for (let r = 0; r < 4; r++) {
        const x = randomRow(rng, M);
        // Categorical features get codes, including missing (-1), unknown (-2) and out-of-range ones.
        for (const f of categorical) x[f] = rng.int(7) - 2;
        const phi = new Float64Array(M);
        shap.explain(x, 0, phi);
        const want = bruteForce(trees, x, M, col, width, scale);
        expect(Math.abs(shap.expected - want.base)).toBeLessThan(1e-9);
        for (let j = 0; j < M; j++) expect(Math.abs(phi[j] - want.phi[j])).toBeLessThan(1e-9);
        expect(Math.abs(shap.expected + phi.reduce((a, b) => a + b, 0) - predict(trees, x, col, width, scale))).toBeLessThan(1e-9);
      }
    }
  });

  it('reads a row at an offset of a row-major matrix and routes NaN by defaultLeft', () => {
    const tree: ShapTree = { feature: [1, -1, -1], threshold: [0.5, 0, 0], left: [1, -1, -1], value: [0, 10, 20], cover: [4, 1, 3], defaultLeft: [true, false, false] };
    const shap = make([tree]);
    expect(shap.expected).toBeCloseTo(17.5, 12);
    const phi = new Float64Array(2);
    shap.explain([9, 9, 0, NaN], 2, phi);
    // NaN goes left (value 10): all of 10 - 17.5 is feature 1's.
    expect(phi[0]).toBe(0);
    expect(phi[1]).toBeCloseTo(-7.5, 12);
  });

  it('sends NaN left where a tree says nothing (defaultLeft absent), as the scoring Forest does', () => {
    const tree: ShapTree = { feature: [1, -1, -1], threshold: [0.5, 0, 0], left: [1, -1, -1], value: [0, 10, 20], cover: [4, 1, 3] };
    const x = new Float32Array([0, NaN]);
    const out = new Float64Array(1);
    new Forest([tree], 1, new Int32Array(1)).accumulate({ data: x, rows: 1, cols: 2 }, out, 1);
    const scored = out[0];
    expect(scored).toBe(10);
    const shap = make([tree]);
    const phi = new Float64Array(2);
    shap.explain(x, 0, phi);
    expect(shap.expected + phi[0] + phi[1]).toBeCloseTo(scored, 12);
  });

  it('refuses trees without cover, naming the fix', () => {
    expect(() => make([{ feature: [-1], threshold: [0], left: [-1], value: [1] }])).toThrow(/retrain/);
  });
});

describe('FastTreeShap on deep trees (beyond brute force)', () => {
  it('equals Algorithm 2 on 40-feature trees of depth 16, tables and per-row polynomials mixed', () => {
    const rng = new Rng(3);
    const trees = Array.from({ length: 4 }, () => randomTree(rng, 40, 16));
    const exact = new TreeShap(trees);
    const fast = new FastTreeShap(trees);
    expect(Math.abs(fast.expected - exact.expected)).toBeLessThan(1e-9);
    for (let r = 0; r < 20; r++) {
      const x = randomRow(rng, 40);
      const a = new Float64Array(40);
      const b = new Float64Array(40);
      exact.explain(x, 0, a);
      fast.explain(x, 0, b);
      for (let j = 0; j < 40; j++) expect(Math.abs(a[j] - b[j])).toBeLessThan(1e-9);
    }
  });
});

describe('FastTreeShap past 31 distinct path features', () => {
  it('equals Algorithm 2 on a chain of 34 splits on 34 features (leaves re-decide paths the walk mask cannot hold)', () => {
    // Split k on feature k; left: a leaf, right: the next split. The deepest leaves have 34 distinct features
    // (deeper still, both forms drift apart past 1e-9 in floating point: 4e-9 at 40, as the per-leaf form did before).
    const t: ShapTree = { feature: [], threshold: [], left: [], value: [], cover: [] };
    const add = (cover: number, value: number) => {
      t.feature.push(-1);
      t.threshold.push(0);
      t.left.push(-1);
      t.value.push(value);
      t.cover!.push(cover);
      return t.feature.length - 1;
    };
    const rng = new Rng(5);
    let node = add(1000, 0);
    for (let k = 0; k < 34; k++) {
      const left = add(0, rng.next() * 2 - 1);
      add(0, rng.next() * 2 - 1);
      t.feature[node] = k;
      t.threshold[node] = 0;
      t.left[node] = left;
      t.cover![left] = t.cover![node] * (0.02 + 0.1 * rng.next());
      t.cover![left + 1] = t.cover![node] - t.cover![left];
      node = left + 1;
    }
    const exact = new TreeShap([t]);
    const fast = new FastTreeShap([t]);
    expect(Math.abs(fast.expected - exact.expected)).toBeLessThan(1e-9);
    for (let r = 0; r < 20; r++) {
      // Mostly right (deep), some rows leave the chain early.
      const x = Array.from({ length: 34 }, () => (rng.next() < 0.9 ? 1 : -1));
      const a = new Float64Array(34);
      const b = new Float64Array(34);
      exact.explain(x, 0, a);
      fast.explain(x, 0, b);
      for (let j = 0; j < 34; j++) expect(Math.abs(a[j] - b[j])).toBeLessThan(1e-9);
    }
  });
});
