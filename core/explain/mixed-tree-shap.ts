import { FastTreeShap, type FastTreeShapOptions } from './fast-tree-shap.js';
import { LinearTreeShap } from './linear-tree-shap.js';
import type { ShapTree } from './packed-trees.js';

/**
 * Trees with more distinct features on some path than this go to LinearTreeShap, the rest to
 * FastTreeShap. Measured with LinearTreeShap in WebAssembly (bench/explain-engines.ts --shapes --cuts 8,7,
 * same-process A/B, rows per CPU second, 64-row blocks / single rows, 2 loaded cores): 7 against 8:
 * 100 depth-8 boosting trees (8 features, 256 leaves) 7,422 vs 1,899
 * and 5,598 vs 660; 100 trees of 31 leaves (8-14) 0.88x and 0.96x (few leaves: per-leaf tables win);
 * served phishing boosting (200 trees of 63 leaves, 8-18) and XGBoost's depth-6 shape even. At 6 (same
 * A/B, scratch), 100 depth-7 trees (128 leaves) lose half at 64 rows, gain 1.8x on single rows.
 */
export const LINEAR_ABOVE_FEATURES = 7;

/**
 * Numbers (8 bytes) LinearTreeShap may hold per explainer (64 MB; times `memoryShare`). A tree costs
 * about its nodes x (6 n + 16) numbers (n its Gauss-Legendre nodes, padded to even: the vectors in
 * JavaScript and in the kernel's memory, and the split records). The served phishing model uses
 * 1.6M; a forest refit on 300k rows without a depth limit (millions of nodes) would not fit, and its
 * trees past the budget go to FastTreeShap, whose tables have budgets of their own.
 */
export const LINEAR_BUDGET = 1 << 23;

/** LinearTreeShap's numbers for a tree (see LINEAR_BUDGET). */
const linearNumbers = (t: ShapTree, features: number) => t.feature.length * (6 * (Math.ceil(features / 2) + (Math.ceil(features / 2) % 2)) + 16);

export interface MixedTreeShapOptions extends FastTreeShapOptions {
  /** Trees with more distinct path features than this are explained by LinearTreeShap (default LINEAR_ABOVE_FEATURES; Infinity: none). */
  linearAbove?: number;
  /** LinearTreeShap's numbers at most, before `memoryShare` (default LINEAR_BUDGET); deep trees past it go to FastTreeShap. */
  linearBudget?: number;
}

/** The most distinct features on one root-to-leaf path of a tree (children `left[n]`, `left[n] + 1`; leaves have feature < 0). */
export function maxPathFeatures(t: Pick<ShapTree, 'feature' | 'left'>): number {
  // Iterative (leaf-wise trees can be deep), O(nodes): a count per feature on the current path;
  // a node is pushed as ~node to be left after its subtree.
  let top = 0;
  for (const f of t.feature) top = Math.max(top, f);
  const onPath = new Int32Array(top + 1);
  let distinct = 0;
  let most = 0;
  const stack = [0];
  while (stack.length) {
    const n = stack.pop()!;
    if (n < 0) {
      if (--onPath[t.feature[~n]] === 0) distinct--;
      continue;
    }
    const f = t.feature[n];
    if (f < 0) {
      most = Math.max(most, distinct);
      continue;
    }
    if (onPath[f]++ === 0) distinct++;
    stack.push(~n, t.left[n], t.left[n] + 1);
  }
  return most;
}

/**
 * Path-dependent TreeSHAP by the faster engine per tree: shallow trees by FastTreeShap (blocks and
 * G tables), deep ones by LinearTreeShap (no tables, O(nodes x depth / 2)); the values add.
 */
export class MixedTreeShap {
  readonly expected: number;
  /** How many trees LinearTreeShap explains. */
  readonly linearTrees: number;
  private readonly engines: (FastTreeShap | LinearTreeShap)[];

  constructor(trees: ShapTree[], o: MixedTreeShapOptions = {}) {
    const above = o.linearAbove ?? LINEAR_ABOVE_FEATURES;
    let budget = (o.linearBudget ?? LINEAR_BUDGET) * (o.memoryShare ?? 1);
    const deep = trees.map((t) => {
      const features = maxPathFeatures(t);
      if (features <= above) return false;
      budget -= linearNumbers(t, features);
      return budget >= 0;
    });
    const shallow = trees.filter((_, i) => !deep[i]);
    const linear = trees.filter((_, i) => deep[i]);
    this.engines = [];
    if (shallow.length || !linear.length) this.engines.push(new FastTreeShap(shallow, o));
    if (linear.length) this.engines.push(new LinearTreeShap(linear, o));
    this.linearTrees = linear.length;
    this.expected = this.engines.reduce((s, e) => s + e.expected, 0);
  }

  /** Adds row x's (values at x0 ..) contributions to `phi` (one per model column). */
  explain(x: ArrayLike<number>, x0: number, phi: Float64Array): void {
    for (const e of this.engines) e.explain(x, x0, phi);
  }

  /** Adds the contributions of rows [r0, r1) of row-major `x` (`cols` columns) to `phi`, (r1 - r0) x cols. */
  explainRows(x: ArrayLike<number>, cols: number, r0: number, r1: number, phi: Float64Array): void {
    for (const e of this.engines) e.explainRows(x, cols, r0, r1, phi);
  }
}
