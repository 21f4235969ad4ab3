import type { Matrix } from '../../data/matrix.js';
import type { Tree } from './tree-buffer.js';

/** Leaves point to themselves and never go right, so traversal lanes can idle on them. */
const NEVER = 0x3fffffff;
/** Rows ranked and walked together. */
const BLOCK = 512;

/**
 * Trees packed into flat typed arrays for scoring.
 *
 * Each input value is first replaced by its rank among the forest's thresholds for that feature, so
 * "x > threshold" becomes the integer test "rank > k" and a step down a tree is branch-free
 * arithmetic: `node = left - ((k - rank) >> 31)` (right child = left + 1). Four rows walk each
 * tree together, so the CPU overlaps four independent chains of loads instead of waiting on one.
 */
export class Forest {
  private readonly feature: Int32Array;
  private readonly thresholdRank: Int32Array;
  private readonly left: Int32Array;
  private readonly value: Float64Array;
  private readonly roots: Int32Array;
  /** Sorted distinct thresholds per feature. */
  private readonly cuts: Float64Array[];

  /**
   * @param width numbers per leaf (K class shares for a forest, 1 raw score for boosting)
   * @param outCol output column of each tree (per-class trees in multi-class boosting)
   */
  constructor(
    trees: Tree[],
    readonly width: number,
    private readonly outCol: Int32Array,
  ) {
    const total = trees.reduce((s, t) => s + t.feature.length, 0);
    const cols = 1 + trees.reduce((m, t) => Math.max(m, ...t.feature), -1);
    const sets = Array.from({ length: cols }, () => new Set<number>());
    for (const t of trees) t.feature.forEach((f, i) => f >= 0 && sets[f].add(t.threshold[i]));
    this.cuts = sets.map((s) => Float64Array.from(s).sort());
    this.feature = new Int32Array(total);
    this.thresholdRank = new Int32Array(total);
    this.left = new Int32Array(total);
    this.value = new Float64Array(total * width);
    this.roots = new Int32Array(trees.length);
    let at = 0;
    trees.forEach((t, i) => {
      this.roots[i] = at;
      for (let j = 0; j < t.feature.length; j++) {
        const f = t.feature[j];
        const node = at + j;
        if (f < 0) {
          this.thresholdRank[node] = NEVER;
          this.left[node] = node;
        } else {
          this.feature[node] = f;
          this.thresholdRank[node] = this.cuts[f].indexOf(t.threshold[j]);
          this.left[node] = at + t.left[j];
        }
      }
      this.value.set(t.value, at * width);
      at += t.feature.length;
    });
  }

  get size(): number {
    return this.roots.length;
  }

  /**
   * For rows [r0, r0 + rows) of X: how many of each feature's thresholds lie below each value
   * (NaN ranks 0: goes left), into `out` laid out like X.
   */
  private ranks(X: Matrix, r0: number, rows: number, out: Int32Array): void {
    const { cols, data } = X;
    for (let f = 0; f < Math.min(cols, this.cuts.length); f++) {
      const c = this.cuts[f];
      const m = c.length;
      if (m === 0) continue;
      for (let r = 0, o = f; r < rows; r++, o += cols) {
        const v = data[r0 * cols + o];
        let lo = 0;
        if (m <= 8) {
          while (lo < m && v > c[lo]) lo++;
        } else {
          let hi = m;
          while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (v > c[mid]) lo = mid + 1;
            else hi = mid;
          }
        }
        out[o] = lo;
      }
    }
  }

  /** Adds the leaf values of trees [from, to) for every row of X into `out` (rows x outDim). */
  accumulate(X: Matrix, out: Float64Array, outDim: number, to = this.roots.length, from = 0): void {
    const x = new Int32Array(BLOCK * X.cols);
    for (let r0 = 0; r0 < X.rows; r0 += BLOCK) {
      const rows = Math.min(BLOCK, X.rows - r0);
      this.ranks(X, r0, rows, x);
      this.walk(x, rows, X.cols, out.subarray(r0 * outDim, (r0 + rows) * outDim), outDim, from, to);
    }
  }

  /** Walks a block of ranked rows through trees [from, to); the block stays in cache across trees. */
  private walk(x: Int32Array, rows: number, cols: number, out: Float64Array, outDim: number, from: number, to: number): void {
    const { feature: fe, thresholdRank: tr, left: lt, value, roots, width, outCol } = this;
    const quads = rows - (rows % 4);
    for (let t = from; t < to; t++) {
      const root = roots[t];
      const col = outCol[t];
      for (let r = 0; r < quads; r += 4) {
        const b0 = r * cols;
        const b1 = b0 + cols;
        const b2 = b1 + cols;
        const b3 = b2 + cols;
        let n0 = root;
        let n1 = root;
        let n2 = root;
        let n3 = root;
        for (;;) {
          const l0 = lt[n0];
          const l1 = lt[n1];
          const l2 = lt[n2];
          const l3 = lt[n3];
          if (((l0 ^ n0) | (l1 ^ n1) | (l2 ^ n2) | (l3 ^ n3)) === 0) break;
          n0 = l0 - ((tr[n0] - x[b0 + fe[n0]]) >> 31);
          n1 = l1 - ((tr[n1] - x[b1 + fe[n1]]) >> 31);
          n2 = l2 - ((tr[n2] - x[b2 + fe[n2]]) >> 31);
          n3 = l3 - ((tr[n3] - x[b3 + fe[n3]]) >> 31);
        }
        const o = r * outDim + col;
        for (let k = 0; k < width; k++) {
          out[o + k] += value[n0 * width + k];
          out[o + outDim + k] += value[n1 * width + k];
          out[o + 2 * outDim + k] += value[n2 * width + k];
          out[o + 3 * outDim + k] += value[n3 * width + k];
        }
      }
      for (let r = quads; r < rows; r++) {
        const b = r * cols;
        let n = root;
        while (lt[n] !== n) n = lt[n] - ((tr[n] - x[b + fe[n]]) >> 31);
        for (let k = 0; k < width; k++) out[r * outDim + col + k] += value[n * width + k];
      }
    }
  }
}
