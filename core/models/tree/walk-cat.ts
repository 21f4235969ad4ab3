import type { Matrix } from '../../data/matrix.js';
import type { Tree } from './tree-buffer.js';

/** Flag index of a categorical value among a node's flags: 0 unknown, 1 missing, 2 + code. */
function flagIndex(v: number, n: number): number {
  if (v !== v || v === -1) return 1;
  return v >= 0 && v < n && v === Math.floor(v) ? v + 2 : 0;
}

/**
 * Forests with categorical splits (see CategorySplit), scored in JavaScript on raw values: a
 * numeric node sends x <= threshold (and NaN) left, a categorical node sends x left when its
 * flag is set. The WebAssembly kernel (walk-wat.ts) ranks values against thresholds and has no
 * category sets, so these forests take this walk.
 */
export class CategoricalForest {
  readonly size: number;
  readonly kernel = 'js-categorical';
  private readonly feature: Int32Array;
  private readonly threshold: Float64Array;
  /** Absolute index of each node's left child (right = left + 1); -1 at leaves. */
  private readonly left: Int32Array;
  /** Offset of a categorical node's flags in `flags`, -1 for a numeric node. */
  private readonly flagAt: Int32Array;
  /** Categories of a categorical node. */
  private readonly nCats: Int32Array;
  private readonly flags: Uint8Array;
  private readonly roots: Int32Array;
  private readonly value: Float64Array;

  constructor(
    trees: Tree[],
    private readonly width: number,
    private readonly outCol: Int32Array,
  ) {
    const nodes = trees.reduce((s, t) => s + t.feature.length, 0);
    let flagLen = 0;
    for (const t of trees) for (const c of t.categories ?? []) if (c) flagLen += c.n + 2;
    this.size = trees.length;
    this.feature = new Int32Array(nodes);
    this.threshold = new Float64Array(nodes);
    this.left = new Int32Array(nodes);
    this.flagAt = new Int32Array(nodes).fill(-1);
    this.nCats = new Int32Array(nodes);
    this.flags = new Uint8Array(flagLen);
    this.roots = new Int32Array(trees.length);
    this.value = new Float64Array(nodes * width);
    let at = 0;
    let flagAt = 0;
    trees.forEach((t, ti) => {
      this.roots[ti] = at;
      for (let j = 0; j < t.feature.length; j++) {
        const k = at + j;
        this.feature[k] = t.feature[j];
        this.threshold[k] = t.threshold[j];
        this.left[k] = t.feature[j] < 0 ? -1 : at + t.left[j];
        const cat = t.categories?.[j];
        if (cat && t.feature[j] >= 0) {
          this.flagAt[k] = flagAt;
          this.nCats[k] = cat.n;
          for (const code of cat.left) this.flags[flagAt + (code === -2 ? 0 : code === -1 ? 1 : code + 2)] = 1;
          flagAt += cat.n + 2;
        }
      }
      this.value.set(t.value, at * width);
      at += t.feature.length;
    });
  }

  /** Adds the leaf values of trees [from, to) for every row of X into `out` (rows x outDim). */
  accumulate(X: Matrix, out: Float64Array, outDim: number, to = this.size, from = 0): void {
    const { feature, threshold, left, flagAt, nCats, flags, roots, value, width, outCol } = this;
    const { data, cols } = X;
    for (let r = 0; r < X.rows; r++) {
      const base = r * cols;
      const o = r * outDim;
      for (let t = from; t < to; t++) {
        let n = roots[t];
        while (left[n] >= 0) {
          const v = data[base + feature[n]];
          const fa = flagAt[n];
          const goLeft = fa < 0 ? !(v > threshold[n]) : flags[fa + flagIndex(v, nCats[n])] === 1;
          n = goLeft ? left[n] : left[n] + 1;
        }
        const c = o + outCol[t];
        for (let k = 0; k < width; k++) out[c + k] += value[n * width + k];
      }
    }
  }
}

/** Whether any tree has a categorical split (then it scores with CategoricalForest). */
export function hasCategoricalSplits(trees: Tree[]): boolean {
  return trees.some((t) => t.categories?.some((c) => c !== null));
}
