import { describe, expect, it } from 'vitest';
import { bruteForce, explanationGap, growingTree, predict, randomRow, randomTree } from '../../test/helpers/random-trees.js';
import { Rng } from '../data/rng.js';
import { FastTreeShap } from './fast-tree-shap.js';
import { LinearTreeShap } from './linear-tree-shap.js';
import type { ShapTree } from './packed-trees.js';
import { TreeShap } from './tree-shap.js';

/** Gives a third of the splits whose children are both leaves a zero-cover child (the other takes all the cover). */
function withZeroCoverLeaves(t: ShapTree, rng: Rng): ShapTree {
  const cover = [...t.cover!];
  for (let n = 0; n < t.feature.length; n++) {
    const l = t.left[n];
    if (t.feature[n] < 0 || t.feature[l] >= 0 || t.feature[l + 1] >= 0 || rng.next() > 0.33) continue;
    const empty = l + rng.int(2);
    cover[empty] = 0;
    cover[empty === l ? l + 1 : l] = cover[n];
  }
  return { ...t, cover };
}

/**
 * A deep tree: each split continues one child to `depth` and the other only sometimes (so it stays
 * small), features drawn from `cols` (repeats on a path are common), random NaN directions.
 */
function deepTree(rng: Rng, cols: number, depth: number): ShapTree {
  const { t, leaf: add } = growingTree(rng);
  const stack: [number, number, boolean][] = [[add(1000), 0, true]];
  while (stack.length) {
    const [node, d, spine] = stack.pop()!;
    if (d >= depth || (!spine && rng.next() < 0.6)) continue;
    const left = add(0);
    add(0);
    const spineLeft = rng.next() < 0.5;
    // Most of the cover stays on the spine, so its deep leaves weigh in every feature's value.
    const share = spine ? 0.9 + 0.09 * rng.next() : 0.05 + 0.9 * rng.next();
    t.cover![left] = t.cover![node] * (spineLeft ? share : 1 - share);
    t.cover![left + 1] = t.cover![node] - t.cover![left];
    t.feature[node] = rng.int(cols);
    t.threshold[node] = Math.round((rng.next() * 2 - 1) * 4) / 4;
    t.left[node] = left;
    t.defaultLeft![node] = rng.next() < 0.5;
    stack.push([left, d + 1, spine && spineLeft], [left + 1, d + 1, spine && !spineLeft]);
  }
  return t;
}

/** The most distinct features on a root-to-leaf path. */
function distinctFeatures(t: ShapTree): number {
  let most = 0;
  const stack: [number, number[]][] = [[0, []]];
  while (stack.length) {
    const [n, features] = stack.pop()!;
    if (t.feature[n] < 0) most = Math.max(most, features.length);
    else {
      const below = features.includes(t.feature[n]) ? features : [...features, t.feature[n]];
      stack.push([t.left[n], below], [t.left[n] + 1, below]);
    }
  }
  return most;
}

/** Largest |a - b| over the columns. */
const gap = (a: Float64Array, b: Float64Array) => a.reduce((w, v, j) => Math.max(w, Math.abs(v - b[j])), 0);

describe('LinearTreeShap', () => {
  it('equals brute force on trees with zero-cover leaves (the row may reach a leaf no training row did)', () => {
    const rng = new Rng(21);
    for (let trial = 0; trial < 30; trial++) {
      const M = 1 + rng.int(8);
      const tree = withZeroCoverLeaves(randomTree(rng, M, 1 + rng.int(6)), rng);
      const shap = new LinearTreeShap([tree]);
      for (let r = 0; r < 5; r++) {
        const x = randomRow(rng, M);
        const phi = new Float64Array(M);
        shap.explain(x, 0, phi);
        const want = bruteForce([tree], x, M);
        expect(Math.abs(shap.expected - want.base)).toBeLessThan(1e-9);
        for (let j = 0; j < M; j++) expect(Math.abs(phi[j] - want.phi[j])).toBeLessThan(1e-9);
        expect(Math.abs(shap.expected + phi.reduce((a, b) => a + b, 0) - predict([tree], x))).toBeLessThan(1e-9);
      }
    }
  });

  it('equals Algorithm 2 with missing values (NaN by defaultLeft) and categorical splits with missing codes', () => {
    const rng = new Rng(8);
    for (let trial = 0; trial < 20; trial++) {
      const M = 2 + rng.int(8);
      const categorical = new Set([0]);
      const trees = Array.from({ length: 1 + rng.int(4) }, () => {
        const t = randomTree(rng, M, 2 + rng.int(6), { categorical });
        return { ...t, defaultLeft: t.feature.map(() => rng.next() < 0.5) };
      });
      const exact = new TreeShap(trees);
      const linear = new LinearTreeShap(trees);
      expect(Math.abs(linear.expected - exact.expected)).toBeLessThan(1e-9);
      for (let r = 0; r < 5; r++) {
        const x = randomRow(rng, M).map((v) => (rng.next() < 0.3 ? NaN : v));
        x[0] = rng.next() < 0.3 ? NaN : rng.int(7) - 2;
        expect(explanationGap(x, M, exact, linear)).toBeLessThan(1e-9);
      }
    }
  });

  it('equals Algorithm 2 and the per-leaf form on deep trees (paths of 56 splits, 40+ distinct features)', () => {
    const rng = new Rng(4);
    const trees = Array.from({ length: 6 }, () => deepTree(rng, 100, 56));
    expect(trees.reduce((most, t) => Math.max(most, distinctFeatures(t)), 0)).toBeGreaterThanOrEqual(40);
    const exact = new TreeShap(trees);
    const fast = new FastTreeShap(trees);
    const linear = new LinearTreeShap(trees);
    expect(Math.abs(linear.expected - exact.expected)).toBeLessThan(1e-9);
    let worstExact = 0;
    let worstFast = 0;
    for (let r = 0; r < 30; r++) {
      // Rows that follow the spine far: most values on one side of the thresholds.
      const x = Array.from({ length: 100 }, () => (rng.next() < 0.1 ? NaN : Math.round((rng.next() * 2 - 1) * 5) / 4));
      const a = new Float64Array(100);
      const b = new Float64Array(100);
      const c = new Float64Array(100);
      exact.explain(x, 0, a);
      fast.explain(x, 0, b);
      linear.explain(x, 0, c);
      worstExact = Math.max(worstExact, gap(a, c));
      worstFast = Math.max(worstFast, gap(b, c));
      const out = trees.reduce((s, t) => {
        let n = 0;
        while (t.feature[n] >= 0) {
          const v = x[t.feature[n]];
          n = (v !== v ? t.defaultLeft![n] : v <= t.threshold[n]) ? t.left[n] : t.left[n] + 1;
        }
        return s + t.value[n];
      }, 0);
      expect(Math.abs(linear.expected + c.reduce((s, v) => s + v, 0) - out)).toBeLessThan(1e-9);
    }
    // Algorithm 2's unwinding drifts at this depth (~3e-10 here); the per-leaf form agrees to ~1e-12.
    expect(worstExact).toBeLessThan(1e-9);
    expect(worstFast).toBeLessThan(1e-11);
  });

  it('explainRows gives each row of a row-major block what explain gives it alone', () => {
    const rng = new Rng(2);
    const M = 7;
    const trees = Array.from({ length: 5 }, () => randomTree(rng, M, 8, { width: 2 }));
    const linear = new LinearTreeShap(trees, { width: 2, column: 1, scale: 0.2 });
    const rows = Array.from({ length: 9 }, () => randomRow(rng, M));
    const block = new Float64Array(rows.flat());
    const phi = new Float64Array(6 * M);
    linear.explainRows(block, M, 2, 8, phi);
    for (let r = 2; r < 8; r++) {
      const one = new Float64Array(M);
      linear.explain(rows[r], 0, one);
      expect(gap(one, phi.subarray((r - 2) * M, (r - 1) * M))).toBe(0);
    }
  });

  it('explains a lone leaf as nothing: its value is the expectation', () => {
    const linear = new LinearTreeShap([{ feature: [-1], threshold: [0], left: [-1], value: [2.5], cover: [10] }]);
    expect(linear.expected).toBe(2.5);
    const phi = new Float64Array(3);
    linear.explain([1, 2, 3], 0, phi);
    expect(Array.from(phi)).toEqual([0, 0, 0]);
  });
});
