import { describe, expect, it } from 'vitest';
import { Rng } from '../../data/rng.js';
import { convertTree, type ColumnMap } from './convert-trees.js';
import type { XgbTree } from './xgboost-json.js';
import { XgboostModel } from './xgboost-model.js';

const COLS = 4;
/** A few float32 values, so rows often equal a split condition exactly. */
const VALUES = [-2, -1, -0.5, 0, Math.fround(0.1), 0.5, 1, Math.fround(2.3)];

/** A random XGBoost tree in its JSON layout (children numbered depth-first, unlike ours). */
function randomTree(rng: Rng, depth: number): XgbTree {
  const t: XgbTree = { split_indices: [], split_conditions: [], left_children: [], right_children: [], default_left: [], sum_hessian: [], categories: [], categories_nodes: [], categories_segments: [], categories_sizes: [] };
  const grow = (d: number): number => {
    const id = t.left_children.length;
    t.left_children.push(-1);
    t.right_children.push(-1);
    t.split_indices.push(0);
    t.split_conditions.push(0);
    t.default_left.push(0);
    t.sum_hessian.push(1);
    if (d === depth || rng.next() < 0.2) {
      t.split_conditions[id] = Math.fround((rng.next() - 0.5) * 2);
      return id;
    }
    t.split_indices[id] = Math.floor(rng.next() * COLS);
    t.split_conditions[id] = VALUES[Math.floor(rng.next() * VALUES.length)];
    t.default_left[id] = rng.next() < 0.5 ? 1 : 0;
    const r = grow(d + 1);
    const l = grow(d + 1);
    t.left_children[id] = l;
    t.right_children[id] = r;
    t.sum_hessian[id] = t.sum_hessian[l] + t.sum_hessian[r];
    return id;
  };
  grow(0);
  return t;
}

/** XGBoost's walk: NaN follows default_left, else left when float32(x) < condition. */
function xgbLeaf(t: XgbTree, x: Float32Array): number {
  let i = 0;
  while (t.left_children[i] !== -1) {
    const v = x[t.split_indices[i]];
    const left = Number.isNaN(v) ? !!t.default_left[i] : v < t.split_conditions[i]!;
    i = left ? t.left_children[i] : t.right_children[i];
  }
  return t.split_conditions[i]!;
}

describe('convertTree and the Forest kernel', () => {
  it('score random trees exactly as XGBoost walks them, values at the split conditions and NaN included', () => {
    const rng = new Rng(7);
    const map: ColumnMap = { column: Int32Array.from({ length: COLS }, (_, i) => COLS - 1 - i), categories: new Int32Array(COLS).fill(-1) };
    const raw = Array.from({ length: 12 }, () => randomTree(rng, 6));
    const trees = raw.map((t, i) => convertTree(t, map, `trees.${i}`));
    const model = XgboostModel.fromState({ objective: 'binary:logistic', nClasses: 2, baseMargin: 0.25, cols: COLS, treeClass: raw.map(() => 0), trees: trees as never, source: {} });
    const rows = 3000;
    const data = new Float32Array(rows * COLS);
    for (let i = 0; i < data.length; i++) {
      const u = rng.next();
      data[i] = u < 0.15 ? NaN : u < 0.6 ? VALUES[Math.floor(rng.next() * VALUES.length)] : (rng.next() - 0.5) * 5;
    }
    const margin = model.predictMargin({ data, rows, cols: COLS });
    for (let r = 0; r < rows; r++) {
      // The model reads columns in schema order: model feature j is column COLS - 1 - j.
      const x = Float32Array.from({ length: COLS }, (_, j) => data[r * COLS + COLS - 1 - j]);
      const want = raw.reduce((s, t) => s + xgbLeaf(t, x), 0.25);
      expect(margin[r]).toBeCloseTo(want, 9);
    }
    // Rows without NaN take the plain forest: the same answers.
    const clean = data.map((v) => (Number.isNaN(v) ? 0 : v));
    const plain = model.predictMargin({ data: clean, rows, cols: COLS, hasMissing: false });
    const routed = model.predictMargin({ data: clean, rows, cols: COLS });
    expect(Array.from(plain)).toEqual(Array.from(routed));
  });

  it('renumbers nodes so a right child is left + 1 and keeps cover and default directions', () => {
    const t = randomTree(new Rng(3), 4);
    const tree = convertTree(t, { column: Int32Array.from([0, 1, 2, 3]), categories: new Int32Array(4).fill(-1) }, 'trees.0');
    expect(tree.feature.length).toBe(t.left_children.length);
    expect(tree.cover![0]).toBe(t.sum_hessian[0]);
    tree.left.forEach((l, i) => {
      if (l < 0) return;
      expect(l).toBeGreaterThan(i);
      expect(tree.cover![l] + tree.cover![l + 1]).toBe(tree.cover![i]);
    });
    expect(tree.defaultLeft!.filter((d, i) => tree.feature[i] >= 0).length).toBeGreaterThan(0);
  });

  it('refuses trees with vector leaves (multi_output_tree)', () => {
    const t = { ...randomTree(new Rng(5), 2), tree_param: { size_leaf_vector: 3 } };
    expect(() => convertTree(t, { column: Int32Array.from([0, 1, 2, 3]), categories: new Int32Array(4).fill(-1) }, 'trees.1')).toThrow(/trees\.1: its leaves hold vectors/);
  });

  it('refuses a tree whose children loop back, naming the tree', () => {
    const t = randomTree(new Rng(5), 3);
    t.right_children[0] = 0;
    expect(() => convertTree(t, { column: Int32Array.from([0, 1, 2, 3]), categories: new Int32Array(4).fill(-1) }, 'trees.9')).toThrow(/trees\.9: node 0 has a bad child 0/);
  });
});
