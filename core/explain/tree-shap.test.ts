import { describe, expect, it } from 'vitest';
import { Rng } from '../data/rng.js';
import { FastTreeShap } from './fast-tree-shap.js';
import type { PackOptions } from './packed-trees.js';
import { TreeShap, type ShapTree } from './tree-shap.js';

interface Engine {
  expected: number;
  explain(x: ArrayLike<number>, x0: number, phi: Float64Array): void;
}
/** Algorithm 2, and the per-leaf form with block tables, G tables and neither. */
const engines: [string, (trees: ShapTree[], o?: PackOptions) => Engine][] = [
  ['Algorithm 2', (t, o) => new TreeShap(t, o)],
  ['per-leaf blocks', (t, o) => new FastTreeShap(t, o)],
  ['per-leaf G tables', (t, o) => new FastTreeShap(t, { ...o, blockBits: 0 })],
  ['per-leaf polynomials', (t, o) => new FastTreeShap(t, { ...o, blockBits: 0, tableMaxFeatures: 0 })],
];

/** A random tree on `cols` features with consistent covers, numeric and (optionally) categorical splits. */
function randomTree(rng: Rng, cols: number, maxDepth: number, o: { categorical?: Set<number>; nCats?: number; width?: number } = {}): ShapTree {
  const t: ShapTree & { categories: ShapTree['categories'] } = { feature: [], threshold: [], left: [], value: [], cover: [], categories: [] };
  const width = o.width ?? 1;
  const add = (cover: number) => {
    t.feature.push(-1);
    t.threshold.push(0);
    t.left.push(-1);
    t.cover!.push(cover);
    t.categories!.push(null);
    for (let k = 0; k < width; k++) t.value.push(rng.next() * 2 - 1);
    return t.feature.length - 1;
  };
  const grow = (node: number, depth: number) => {
    if (depth >= maxDepth || (depth > 0 && rng.next() < (maxDepth > 10 ? 0.1 : 0.2))) return;
    const f = rng.int(cols);
    const left = add(0);
    add(0);
    const share = 0.05 + 0.9 * rng.next();
    t.cover![left] = t.cover![node] * share;
    t.cover![left + 1] = t.cover![node] - t.cover![left];
    t.feature[node] = f;
    t.left[node] = left;
    if (o.categorical?.has(f)) {
      const n = o.nCats ?? 4;
      const codes = [-2, -1, ...Array.from({ length: n }, (_, i) => i)].filter(() => rng.next() < 0.5);
      t.categories![node] = { n, left: codes };
    } else t.threshold[node] = Math.round((rng.next() * 2 - 1) * 4) / 4;
    grow(left, depth + 1);
    grow(left + 1, depth + 1);
  };
  grow(add(50 + rng.int(1000)), 0);
  return t;
}

/** Whether the row goes left at a node, as the scorer decides. */
function goesLeft(t: ShapTree, node: number, x: number[]): boolean {
  const v = x[t.feature[node]];
  const c = t.categories?.[node];
  if (!c) return v <= t.threshold[node];
  const code = v < -1.5 || v >= c.n - 0.5 ? -2 : v < -0.5 ? -1 : Math.round(v);
  return c.left.includes(code);
}

/** The path-dependent value function: features in S follow x, the others split by cover. */
function expectation(t: ShapTree, node: number, x: number[], S: Set<number>, col: number, width: number): number {
  if (t.feature[node] < 0) return t.value[node * width + col];
  const l = t.left[node];
  if (S.has(t.feature[node])) return expectation(t, goesLeft(t, node, x) ? l : l + 1, x, S, col, width);
  const c = t.cover!;
  return (c[l] * expectation(t, l, x, S, col, width) + c[l + 1] * expectation(t, l + 1, x, S, col, width)) / c[node];
}

/** Shapley values by enumerating every coalition of the M features. */
function bruteForce(trees: ShapTree[], x: number[], M: number, col = 0, width = 1, scale = 1): { phi: number[]; base: number } {
  const v = (mask: number) => {
    const S = new Set<number>();
    for (let j = 0; j < M; j++) if (mask & (1 << j)) S.add(j);
    return trees.reduce((s, t) => s + scale * expectation(t, 0, x, S, col, width), 0);
  };
  const values = Array.from({ length: 1 << M }, (_, m) => v(m));
  const fact = [1];
  for (let i = 1; i <= M; i++) fact.push(fact[i - 1] * i);
  const phi = new Array<number>(M).fill(0);
  for (let i = 0; i < M; i++) {
    for (let m = 0; m < 1 << M; m++) {
      if (m & (1 << i)) continue;
      let s = 0;
      for (let j = 0; j < M; j++) if (m & (1 << j)) s++;
      phi[i] += ((fact[s] * fact[M - s - 1]) / fact[M]) * (values[m | (1 << i)] - values[m]);
    }
  }
  return { phi, base: values[0] };
}

function predict(trees: ShapTree[], x: number[], col = 0, width = 1, scale = 1): number {
  let s = 0;
  for (const t of trees) {
    let n = 0;
    while (t.feature[n] >= 0) n = goesLeft(t, n, x) ? t.left[n] : t.left[n] + 1;
    s += scale * t.value[n * width + col];
  }
  return s;
}

const randomRow = (rng: Rng, M: number) => Array.from({ length: M }, () => Math.round((rng.next() * 2 - 1) * 5) / 4);

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
