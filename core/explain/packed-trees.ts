import { ModelError } from '../errors.js';
import type { Tree } from '../models/tree/tree-buffer.js';

/**
 * A tree TreeSHAP can explain: the finished `Tree` plus, per node, its cover (training rows, or
 * hessian sum for boosting, that reached it) and optionally where a missing value goes.
 */
export interface ShapTree extends Tree {
  cover?: number[];
  /** Per node: a NaN input goes left (absent: always left, as the scoring Forest sends it; see Tree.defaultLeft). */
  defaultLeft?: boolean[];
}

export interface PackOptions {
  /** Numbers per leaf in `value` (K class shares, 1 raw score). Default 1. */
  width?: number;
  /** Which of the `width` leaf numbers is explained. Default 0. */
  column?: number;
  /** Every tree's output is multiplied by this (1 / trees for a forest's average). Default 1. */
  scale?: number;
}

/** Leaves have feature LEAF. */
export const LEAF = -1;

/**
 * Trees as flat typed arrays (global node ids, children `left` and `left + 1`), with the one
 * leaf number explained, and the split test of the scoring forest: `x <= threshold`, NaN by
 * `defaultLeft`, categorical nodes by flag bytes per code rank (see Forest).
 */
export class PackedTrees {
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly cover: Float64Array;
  readonly value: Float64Array;
  readonly roots: Int32Array;
  /** Per node: byte offset of its category flags (n + 3 bytes: unknown, missing, codes..., unknown), or -1. */
  private readonly catAt: Int32Array;
  private readonly catN: Int32Array;
  private readonly flags: Uint8Array;
  private readonly nanLeft: Uint8Array;

  constructor(trees: ShapTree[], o: PackOptions = {}) {
    const width = o.width ?? 1;
    const column = o.column ?? 0;
    const scale = o.scale ?? 1;
    const nodes = trees.reduce((s, t) => s + t.feature.length, 0);
    this.feature = new Int32Array(nodes);
    this.threshold = new Float64Array(nodes);
    this.left = new Int32Array(nodes);
    this.cover = new Float64Array(nodes);
    this.value = new Float64Array(nodes);
    this.catAt = new Int32Array(nodes).fill(-1);
    this.catN = new Int32Array(nodes);
    this.nanLeft = new Uint8Array(nodes);
    this.roots = new Int32Array(trees.length);
    let flagBytes = 0;
    for (const t of trees) for (const c of t.categories ?? []) if (c) flagBytes += c.n + 3;
    this.flags = new Uint8Array(flagBytes);
    let at = 0;
    let flagAt = 0;
    trees.forEach((t, ti) => {
      if (!t.cover || t.cover.length !== t.feature.length) throw new ModelError("TreeSHAP needs each node's cover: retrain the model to explain it");
      this.roots[ti] = at;
      for (let j = 0; j < t.feature.length; j++) {
        const n = at + j;
        const leaf = t.feature[j] < 0;
        this.feature[n] = leaf ? LEAF : t.feature[j];
        this.threshold[n] = t.threshold[j];
        this.left[n] = leaf ? -1 : at + t.left[j];
        this.cover[n] = t.cover[j];
        this.value[n] = scale * t.value[j * width + column];
        this.nanLeft[n] = (t.defaultLeft?.[j] ?? true) ? 1 : 0;
        const split = leaf ? null : t.categories?.[j];
        if (split) {
          this.catAt[n] = flagAt;
          this.catN[n] = split.n;
          const unknown = split.left.includes(-2) ? 1 : 0;
          this.flags[flagAt] = unknown;
          this.flags[flagAt + split.n + 2] = unknown;
          for (const code of split.left) if (code >= -1 && code < split.n) this.flags[flagAt + code + 2] = 1;
          flagAt += split.n + 3;
        }
      }
      at += t.feature.length;
    });
  }

  /** Whether row x (values at x0 ..) goes left at split node `n`. */
  goesLeft(x: ArrayLike<number>, x0: number, n: number): boolean {
    const v = x[x0 + this.feature[n]];
    const cat = this.catAt[n];
    if (cat < 0) return v !== v ? this.nanLeft[n] === 1 : v <= this.threshold[n];
    const k = this.catN[n];
    // Ranks as the forest's walk: 0 unknown (NaN or below -1), 1 missing (-1), 2 + code, k + 2 unknown.
    const rank = !(v >= -1.5) ? 0 : v < -0.5 ? 1 : v >= k - 0.5 ? k + 2 : Math.round(v) + 2;
    return this.flags[cat + rank] === 1;
  }

  /** Whether split node `n` tests category codes (else `x <= threshold`). */
  isCategorical(n: number): boolean {
    return this.catAt[n] >= 0;
  }

  /** Whether a NaN input goes left at numeric split node `n`. */
  nanGoesLeft(n: number): boolean {
    return this.nanLeft[n] === 1;
  }

  /** Cover-weighted leaf value of the subtree at `node`: the output with no feature known. */
  meanAt(node: number): number {
    if (this.feature[node] === LEAF) return this.value[node];
    const l = this.left[node];
    return (this.cover[l] * this.meanAt(l) + this.cover[l + 1] * this.meanAt(l + 1)) / this.cover[node];
  }

  /** Depth of the subtree at `node` (a lone leaf: 0). */
  depthAt(node: number): number {
    if (this.feature[node] === LEAF) return 0;
    return 1 + Math.max(this.depthAt(this.left[node]), this.depthAt(this.left[node] + 1));
  }
}
