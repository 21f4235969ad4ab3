import type { BinnedMatrix } from './binning.js';
import { CATEGORY_L2, CATEGORY_MAX_SET, CATEGORY_MIN_GROUP_ROWS, CATEGORY_SMOOTHING, type GradTreeInputs, type GradTreeParams } from './grad-tree-builder.js';
import { histModule, type HistVecFn } from './hist-kernel.js';
import { growBestFirst, type GrowLeaf } from './best-first.js';
import { TreeBuffer } from './tree-buffer.js';

/** Largest WebAssembly memory a fit's scratch may take; bigger fits build histograms in JavaScript. */
const MAX_WASM_BYTES = 2 ** 31;
const PAGE = 65536;
/** Histogram bytes one pass over a node's rows updates (a feature group's share), to stay in L2 cache. */
const GROUP_BYTES = 256 * 1024;

/**
 * Per-bin sums of one node for every feature: `S` float64s a bin (see MultiTreeScratch.S), the
 * layout of a row's vector, so a row adds its whole vector into one contiguous bin.
 */
type Hist = Float64Array;

interface Leaf extends GrowLeaf {
  /** Sums over the node's rows of each row vector: K (g, h) pairs, then the weight. */
  sum: Float64Array;
}

/**
 * Scratch for `growMultiTree`: one tree per round whose leaves hold K values (XGBoost's
 * multi_strategy "multi_output_tree"). Each row carries a vector [g0, h0, ..., g(K-1), h(K-1), w, 0]
 * (`vec`, S = 2K + 2 float64s; the pad keeps bins 16-byte aligned for the two-lane SIMD add), so
 * one pass over a node's rows builds the histograms of all K classes.
 */
export class MultiTreeScratch {
  readonly K: number;
  /** Float64s per row vector and per histogram bin: 2K + 2. */
  readonly S: number;
  readonly offsets: Int32Array;
  readonly totalBins: number;
  readonly rows: Int32Array;
  /** Histogram bin of each (row, feature), row-major (see GradTreeScratch.slots). */
  readonly slots: Uint16Array | Uint32Array;
  /** Row vectors, `S` a row; the caller writes gradients and hessians, weights are set here. */
  readonly vec: Float64Array;
  readonly w: Float64Array;
  readonly kernel: HistVecFn | null = null;
  /** Feature group bounds of the WebAssembly build: group g is features [groups[g], groups[g + 1]). */
  readonly groups: number[] = [0];
  private readonly free: Hist[] = [];

  constructor(
    readonly X: BinnedMatrix,
    w: Float64Array,
    K: number,
    options: { maxLeafNodes?: number; wasm?: boolean; groupBytes?: number } = {},
  ) {
    this.K = K;
    this.S = 2 * K + 2;
    this.w = w;
    this.offsets = new Int32Array(X.cols + 1);
    for (let f = 0; f < X.cols; f++) this.offsets[f + 1] = this.offsets[f] + X.nBins[f];
    this.totalBins = this.offsets[X.cols];
    const n = X.rows;
    const wide = this.totalBins > 0xffff;
    const histBytes = 8 * this.totalBins * this.S;
    const hists = (options.maxLeafNodes ?? 31) + 1;
    const vecAt = 0;
    const histAt = vecAt + 8 * this.S * n;
    const rowsAt = histAt + histBytes * hists;
    const slotsAt = rowsAt + 4 * n;
    const memoryBytes = slotsAt + (wide ? 4 : 2) * n * X.cols;
    if (histModule && options.wasm !== false && memoryBytes <= MAX_WASM_BYTES) {
      const memory = new WebAssembly.Memory({ initial: Math.ceil(memoryBytes / PAGE) });
      const buf = memory.buffer;
      this.vec = new Float64Array(buf, vecAt, this.S * n);
      this.rows = new Int32Array(buf, rowsAt, n);
      this.slots = wide ? new Uint32Array(buf, slotsAt, n * X.cols) : new Uint16Array(buf, slotsAt, n * X.cols);
      for (let i = 0; i < hists; i++) this.free.push(new Float64Array(buf, histAt + i * histBytes, histBytes / 8));
      const exports = new WebAssembly.Instance(histModule, { env: { mem: memory } }).exports;
      this.kernel = exports[`histv_${wide ? 32 : 16}`] as HistVecFn;
    } else {
      this.vec = new Float64Array(this.S * n);
      this.rows = new Int32Array(n);
      this.slots = wide ? new Uint32Array(n * X.cols) : new Uint16Array(n * X.cols);
    }
    for (let i = 0; i < n; i++) this.vec[i * this.S + 2 * K] = w[i];
    let bytes = 0;
    for (let f = 0; f < X.cols; f++) {
      const more = 8 * this.S * X.nBins[f];
      if (bytes > 0 && bytes + more > (options.groupBytes ?? GROUP_BYTES)) {
        this.groups.push(f);
        bytes = 0;
      }
      bytes += more;
    }
    this.groups.push(X.cols);
    for (let f = 0; f < X.cols; f++) {
      const o = this.offsets[f];
      for (let i = 0; i < n; i++) this.slots[i * X.cols + f] = o + X.codes[f * n + i];
    }
  }

  newHist(): Hist {
    const h = this.free.pop();
    if (!h) {
      if (this.kernel) throw new Error('multi-output tree scratch: more histograms than maxLeafNodes + 1');
      return new Float64Array(this.totalBins * this.S);
    }
    h.fill(0);
    return h;
  }

  release(h: Hist): void {
    this.free.push(h);
  }

  /** Adds the vectors of rows [start, end) of `rows` into `hist`. */
  build(hist: Hist, start: number, end: number): void {
    const { rows, slots, vec, S } = this;
    const cols = this.X.cols;
    if (this.kernel) {
      const g = this.groups;
      for (let i = 0; i + 1 < g.length; i++) this.kernel(rows.byteOffset, start, end, slots.byteOffset, cols, vec.byteOffset, 8 * S, hist.byteOffset, g[i], g[i + 1]);
      return;
    }
    for (let i = start; i < end; i++) {
      const r = rows[i];
      const src = r * S;
      for (let k = r * cols, last = k + cols; k < last; k++) {
        const a = slots[k] * S;
        for (let j = 0; j < S; j++) hist[a + j] += vec[src + j];
      }
    }
  }
}

/**
 * Grows one multi-output regression tree on the K gradient columns of `s.vec` (already
 * weighted), best leaf first, as growGradTree does for one column: a split's gain is the sum over
 * the K classes of G^2 / (H + l2) on each side minus the parent's, the hessian floor applies to
 * each class's hessian, and each leaf holds the K Newton steps -lr * G_k / (H_k + l2).
 * A categorical feature tries, for each class, the order of its bins by that class's smoothed
 * G / H (as LightGBM for one column) and keeps the best prefix of any of these orders.
 * `onLeaf` receives each final leaf's K values and its row range in `s.rows`.
 */
export function growMultiTree(
  s: MultiTreeScratch,
  p: GradTreeParams,
  onLeaf: (values: Float64Array, start: number, end: number) => void,
  inputs: GradTreeInputs = {},
): TreeBuffer {
  const { X, rows, offsets, K, S, w } = s;
  const W = 2 * K;
  let n = 0;
  if (inputs.rows) {
    rows.set(inputs.rows);
    n = inputs.rows.length;
  } else for (let i = 0; i < X.rows; i++) if (w[i] > 0) rows[n++] = i;
  const allowed = inputs.features;
  const tree = new TreeBuffer(K);
  // Every row falls in one bin of feature 0, so its bins sum to the node's totals.
  const sums = (hist: Hist): Float64Array => {
    const out = new Float64Array(W + 1);
    for (let b = offsets[0]; b < offsets[1]; b++) for (let j = 0; j <= W; j++) out[j] += hist[S * b + j];
    return out;
  };
  /** The smallest class hessian of a sum vector (the floor minHessianToSplit applies to each class). */
  const hessian = (v: Float64Array) => {
    let h = Infinity;
    for (let k = 0; k < K; k++) h = Math.min(h, v[2 * k + 1]);
    return h;
  };
  const score = (v: ArrayLike<number>, l2: number): number => {
    let sc = 0;
    for (let k = 0; k < K; k++) sc += (v[2 * k] * v[2 * k]) / (v[2 * k + 1] + l2);
    return sc;
  };
  const left = new Float64Array(W + 1);
  const right = new Float64Array(W + 1);
  const catBins = new Int32Array(256);
  const catKey = new Float64Array(256);
  const catOrder = new Int32Array(256);

  const evaluateCategorical = (leaf: Leaf, f: number): void => {
    const { hist, sum } = leaf;
    const minRows = Math.max(p.minSamplesLeaf, CATEGORY_MIN_GROUP_ROWS);
    const l2 = p.l2 + CATEGORY_L2;
    const parent = score(sum, l2);
    let m = 0;
    for (let b = offsets[f]; b < offsets[f + 1]; b++) if (hist[S * b + W] >= CATEGORY_SMOOTHING) catBins[m++] = b;
    if (m < 2) return;
    const order = catOrder.subarray(0, m);
    let best: { k: number; cut: number; reverse: boolean } | null = null;
    for (let k = 0; k < K; k++) {
      for (let i = 0; i < m; i++) {
        const a = S * catBins[i];
        catKey[i] = hist[a + 2 * k] / (hist[a + 2 * k + 1] + CATEGORY_SMOOTHING);
        order[i] = i;
      }
      order.sort((x, y) => catKey[x] - catKey[y] || x - y);
      for (const reverse of [false, true]) {
        left.fill(0);
        for (let i = 0; i < Math.min(m - 1, CATEGORY_MAX_SET); i++) {
          const a = S * catBins[order[reverse ? m - 1 - i : i]];
          for (let j = 0; j <= W; j++) left[j] += hist[a + j];
          if (left[W] < minRows || hessian(left) < p.minHessianToSplit) continue;
          for (let j = 0; j <= W; j++) right[j] = sum[j] - left[j];
          if (right[W] < minRows || hessian(right) < p.minHessianToSplit) break;
          const gain = score(left, l2) + score(right, l2) - parent;
          if (gain > leaf.gain) {
            leaf.gain = gain;
            best = { k, cut: i, reverse };
          }
        }
      }
    }
    if (!best) return;
    // Rebuild the winning order (later classes overwrote the keys).
    for (let i = 0; i < m; i++) {
      const a = S * catBins[i];
      catKey[i] = hist[a + 2 * best.k] / (hist[a + 2 * best.k + 1] + CATEGORY_SMOOTHING);
      order[i] = i;
    }
    order.sort((x, y) => catKey[x] - catKey[y] || x - y);
    const binsLeft = new Uint8Array(offsets[f + 1] - offsets[f]);
    for (let i = 0; i <= best.cut; i++) binsLeft[catBins[order[best.reverse ? m - 1 - i : i]] - offsets[f]] = 1;
    leaf.feature = f;
    leaf.bin = 0;
    leaf.binsLeft = binsLeft;
  };

  const evaluate = (leaf: Leaf): Leaf => {
    leaf.gain = 0;
    leaf.feature = -1;
    leaf.binsLeft = null;
    const { sum, hist } = leaf;
    const C = sum[W];
    const H = hessian(sum);
    if ((p.maxDepth > 0 && leaf.depth >= p.maxDepth) || C < 2 * p.minSamplesLeaf || H < p.minHessianToSplit) return leaf;
    const parent = score(sum, p.l2);
    const l2 = p.l2;
    for (let f = 0; f < X.cols; f++) {
      if (allowed && !allowed[f]) continue;
      if (X.categorical[f]) {
        evaluateCategorical(leaf, f);
        continue;
      }
      left.fill(0);
      for (let b = offsets[f], last = offsets[f + 1] - 1; b < last; b++) {
        const a = S * b;
        // An empty bin moves no split point: skip it before the K-wide work.
        if (hist[a + W] === 0) continue;
        // The hessian floor holds for every class on both sides: a class whose hessian nearly
        // vanishes (probabilities near 0 or 1) would otherwise dominate the gain and get a huge
        // leaf value (seen: 100k x 10 classes fitted noise, macro-F1 0.07 with the floor on the sum).
        let hl = Infinity;
        let hr = Infinity;
        for (let j = 0; j < W; j += 2) {
          left[j] += hist[a + j];
          const h = (left[j + 1] += hist[a + j + 1]);
          hl = Math.min(hl, h);
          hr = Math.min(hr, sum[j + 1] - h);
        }
        left[W] += hist[a + W];
        if (left[W] < p.minSamplesLeaf || hl < p.minHessianToSplit) continue;
        if (C - left[W] < p.minSamplesLeaf || hr < p.minHessianToSplit) break;
        let gain = -parent;
        for (let j = 0; j < W; j += 2) {
          const gl = left[j];
          const hlk = left[j + 1];
          const gr = sum[j] - gl;
          gain += (gl * gl) / (hlk + l2) + (gr * gr) / (sum[j + 1] - hlk + l2);
        }
        if (gain > leaf.gain) {
          leaf.gain = gain;
          leaf.feature = f;
          leaf.bin = b - offsets[f];
          leaf.binsLeft = null;
        }
      }
    }
    return leaf;
  };

  const newLeaf = (node: number, start: number, end: number, depth: number, sum: Float64Array, hist: Hist): Leaf => {
    // One cover for the K scores: the hessian summed over the classes.
    let h = 0;
    for (let k = 0; k < K; k++) h += sum[2 * k + 1];
    tree.cover[node] = h;
    return evaluate({ node, start, end, depth, sum, hist, gain: 0, feature: -1, bin: 0, binsLeft: null });
  };

  const rootHist = s.newHist();
  s.build(rootHist, 0, n);
  const build = (hist: Hist, a: number, b: number) => (s.build(hist, a, b), 0);
  const leaves = growBestFirst(tree, s, p.maxLeafNodes, newLeaf(tree.add(), 0, n, 0, sums(rootHist), rootHist), build, (leaf, l, r) => {
    const ls = sums(l.hist);
    const rs = Float64Array.from(leaf.sum, (v, j) => v - ls[j]);
    const depth = leaf.depth + 1;
    return [newLeaf(l.node, l.start, l.end, depth, ls, l.hist), newLeaf(r.node, r.start, r.end, depth, rs, r.hist)];
  });
  const values = new Float64Array(K);
  for (const leaf of leaves) {
    for (let k = 0; k < K; k++) values[k] = tree.value[leaf.node * K + k] = (-p.learningRate * leaf.sum[2 * k]) / (leaf.sum[2 * k + 1] + p.l2);
    onLeaf(values, leaf.start, leaf.end);
  }
  return tree;
}
