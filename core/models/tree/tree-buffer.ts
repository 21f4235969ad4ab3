import { NATIVE_MISSING, NATIVE_UNKNOWN } from '../../transform/feature-encoder.js';
import type { CategoryBins } from './binning.js';

/**
 * Growable node arrays of one tree while it is built. Children are allocated as a pair, so a node's
 * right child is always `left + 1`. Leaves have feature -1. `value` holds `width` numbers per node.
 */
export class TreeBuffer {
  feature: Int32Array;
  bin: Int32Array;
  left: Int32Array;
  value: Float64Array;
  /** Per node: the weighted training rows (class trees) or hessian sum (boosting) that reached it (TreeSHAP's cover). */
  cover: Float64Array;
  size = 0;
  /** Categorical split nodes: 1 for each bin of the feature whose rows go left. */
  readonly binsLeft = new Map<number, Uint8Array>();

  constructor(
    readonly width: number,
    capacity = 64,
  ) {
    this.feature = new Int32Array(capacity);
    this.bin = new Int32Array(capacity);
    this.left = new Int32Array(capacity);
    this.value = new Float64Array(capacity * width);
    this.cover = new Float64Array(capacity);
  }

  /** Appends a leaf and returns its index. */
  add(): number {
    if (this.size === this.feature.length) this.grow();
    const id = this.size++;
    this.feature[id] = -1;
    this.left[id] = -1;
    return id;
  }

  split(node: number, feature: number, bin: number): number {
    const left = this.add();
    this.add();
    this.feature[node] = feature;
    this.bin[node] = bin;
    this.left[node] = left;
    return left;
  }

  /** A categorical split: rows whose bin is flagged in `binsLeft` go left. */
  splitSet(node: number, feature: number, binsLeft: Uint8Array): number {
    const left = this.split(node, feature, 0);
    this.binsLeft.set(node, binsLeft);
    return left;
  }

  private grow(): void {
    const cap = this.feature.length * 2;
    const copy = <T extends Int32Array | Float64Array>(a: T, n: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.feature = copy(this.feature, cap);
    this.bin = copy(this.bin, cap);
    this.left = copy(this.left, cap);
    this.value = copy(this.value, cap * this.width);
    this.cover = copy(this.cover, cap);
  }
}

/**
 * A categorical split in raw terms: the codes going left among `n` categories, where
 * NATIVE_MISSING (-1) stands for a missing value and NATIVE_UNKNOWN (-2) for any code outside
 * [0, n) (unknown at scoring time); every other code goes right.
 */
export interface CategorySplit {
  n: number;
  left: number[];
}

/** A finished tree in raw-value terms: go left when x[feature] <= threshold, or, at a categorical node, when x[feature] is in its set. */
export interface Tree {
  feature: number[];
  threshold: number[];
  left: number[];
  value: number[];
  /** Per node, its category set when it splits a categorical feature (absent: no categorical node). */
  categories?: (CategorySplit | null)[];
  /**
   * Per node, the training weight that reached it: rows (class trees), hessian sum (boosting, and
   * XGBoost's sum_hessian for imported trees). Absent in models fitted before format 2; TreeSHAP needs it.
   */
  cover?: number[];
  /** Per node, whether a missing value (NaN) goes left (XGBoost's default_left); absent: always left. */
  defaultLeft?: boolean[];
}

export function finishTree(buf: TreeBuffer, edges: Float64Array[], categories: (CategoryBins | null)[] = []): Tree {
  const n = buf.size;
  const feature = Array.from(buf.feature.subarray(0, n));
  const tree: Tree = {
    feature,
    threshold: feature.map((f, i) => (f < 0 || buf.binsLeft.has(i) ? 0 : edges[f][buf.bin[i]])),
    left: Array.from(buf.left.subarray(0, n)),
    value: Array.from(buf.value.subarray(0, n * buf.width)),
    cover: Array.from(buf.cover.subarray(0, n)),
  };
  if (buf.binsLeft.size) {
    tree.categories = feature.map((f, i) => {
      const bins = buf.binsLeft.get(i);
      const cat = bins && categories[f];
      if (!bins || !cat) return null;
      const left: number[] = [];
      if (bins[0]) left.push(NATIVE_MISSING);
      if (bins[cat.other]) left.push(NATIVE_UNKNOWN);
      cat.binOf.forEach((b, code) => bins[b] && left.push(code));
      return { n: cat.binOf.length, left };
    });
  }
  return tree;
}

/** Like `partition`, for a categorical split: rows whose bin is flagged in `binsLeft` come first. */
export function partitionSet(rows: Int32Array, start: number, end: number, codes: Uint8Array, offset: number, binsLeft: Uint8Array): number {
  let i = start;
  let j = end - 1;
  while (i <= j) {
    if (binsLeft[codes[offset + rows[i]]]) i++;
    else {
      const t = rows[i];
      rows[i] = rows[j];
      rows[j--] = t;
    }
  }
  return i;
}

/**
 * Moves rows [start, end) of `rows` so those whose bin for the feature is <= `bin` come first;
 * returns where the right part starts.
 */
export function partition(rows: Int32Array, start: number, end: number, codes: Uint8Array, offset: number, bin: number): number {
  let i = start;
  let j = end - 1;
  while (i <= j) {
    if (codes[offset + rows[i]] <= bin) i++;
    else {
      const t = rows[i];
      rows[i] = rows[j];
      rows[j--] = t;
    }
  }
  return i;
}
