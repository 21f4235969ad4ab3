import { FastTreeShap, type FastTreeShapOptions } from './fast-tree-shap.js';
import { LinearTreeShap } from './linear-tree-shap.js';
import type { ShapTree } from './packed-trees.js';

/**
 * Trees with more distinct features on some path than this go to LinearTreeShap, the rest to
 * FastTreeShap. Measured (same-process A/B, rows per CPU second, 2 loaded cores): a tree alone, the
 * per-leaf form wins below 13 features (its tables in cache), but a whole model's tables are not.
 * Cut at 8 against all per-leaf: served phishing boosting (200 trees of 63 leaves, 8-18 features)
 * 1,328 vs 693 rows/s (flat from 6 to 10, 1,041 at 12); 100 trees of 31 leaves (8-14) 1.16x (1.11x
 * at 6 and 10); 100 depth-8 trees even (1.05x at 6); a forest of 100 depth-12 trees 2.1x;
 * XGBoost's depth-6 trees stay per-leaf (all linear: 0.38x).
 */
export const LINEAR_ABOVE_FEATURES = 8;

export interface MixedTreeShapOptions extends FastTreeShapOptions {
  /** Trees with more distinct path features than this are explained by LinearTreeShap (default LINEAR_ABOVE_FEATURES; Infinity: none). */
  linearAbove?: number;
}

/** The most distinct features on one root-to-leaf path of a tree (children `left[n]`, `left[n] + 1`; leaves have feature < 0). */
export function maxPathFeatures(t: Pick<ShapTree, 'feature' | 'left'>): number {
  // Iterative: leaf-wise trees can be deep. Per path: its distinct features, shared by children until one adds a feature.
  let most = 0;
  const stack: { node: number; features: number[] }[] = [{ node: 0, features: [] }];
  while (stack.length) {
    const { node, features } = stack.pop()!;
    const f = t.feature[node];
    if (f < 0) {
      most = Math.max(most, features.length);
      continue;
    }
    const below = features.includes(f) ? features : features.concat([f]);
    stack.push({ node: t.left[node], features: below }, { node: t.left[node] + 1, features: below });
  }
  return most;
}

/**
 * Path-dependent TreeSHAP by the faster engine per tree: shallow trees by FastTreeShap (blocks and
 * G tables), deep ones by LinearTreeShap (no tables, O(nodes x depth / 2)); the values add.
 */
export class MixedTreeShap {
  readonly expected: number;
  private readonly engines: (FastTreeShap | LinearTreeShap)[];

  constructor(trees: ShapTree[], o: MixedTreeShapOptions = {}) {
    const above = o.linearAbove ?? LINEAR_ABOVE_FEATURES;
    const deep = trees.map((t) => maxPathFeatures(t) > above);
    const shallow = trees.filter((_, i) => !deep[i]);
    const linear = trees.filter((_, i) => deep[i]);
    this.engines = [];
    if (shallow.length || !linear.length) this.engines.push(new FastTreeShap(shallow, o));
    if (linear.length) this.engines.push(new LinearTreeShap(linear, o));
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
