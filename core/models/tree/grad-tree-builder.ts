import type { BinnedMatrix } from './binning.js';
import { histModule, type HistFn } from './hist-kernel.js';
import { growBestFirst, type GrowLeaf } from './best-first.js';
import { TreeBuffer } from './tree-buffer.js';

export interface GradTreeParams {
  /** Leaves at most (leaf-wise growth, as LightGBM / HistGradientBoosting). */
  maxLeafNodes: number;
  /** 0 means unlimited. */
  maxDepth: number;
  /** Smallest weighted row count of a leaf. */
  minSamplesLeaf: number;
  l2: number;
  minHessianToSplit: number;
  learningRate: number;
}

/**
 * Categorical splits as LightGBM's, with stronger settings than its defaults (cat_smooth 10,
 * min_data_per_group 100, max_cat_threshold 32, cat_l2 10), which fitted noise on 130-value
 * columns (test ROC-AUC 0.971 at 100k rows). Test ROC-AUC on make_scale_data rows, 100k / 1M
 * (XGBoost hist on one-hot: 0.9743 / 0.9777): these 0.9750 / 0.9772; a set of at most 8
 * 0.9766 / 0.9769, of 32 0.9727 / 0.9774; cat_l2 10 with 32: 0.9730 / 0.9771. A category takes part when it has at least CATEGORY_SMOOTHING rows at the node
 * (others go right), categories are ordered by G / (H + CATEGORY_SMOOTHING), each side holds at
 * least CATEGORY_MIN_GROUP_ROWS rows, the set going left has at most CATEGORY_MAX_SET categories
 * (scanned from both ends of the order), and the gain adds CATEGORY_L2 to l2.
 */
export const CATEGORY_SMOOTHING = 100;
export const CATEGORY_MIN_GROUP_ROWS = 100;
export const CATEGORY_MAX_SET = 16;
export const CATEGORY_L2 = 50;

/**
 * Per-bin sums for every feature of one node, interleaved as [g, h, count] per bin (or [g, h]
 * when no count is needed, see GradTreeScratch) so one bin's sums share a cache line.
 */
type Hist = Float64Array;

interface Leaf extends GrowLeaf {
  G: number;
  H: number;
  C: number;
}

/** Largest WebAssembly memory a fit's scratch may take; bigger fits build histograms in JavaScript. */
const MAX_WASM_BYTES = 2 ** 31;
const PAGE = 65536;

export interface GradTreeScratchOptions {
  /**
   * Keep per-bin row counts (needed for minSamplesLeaf > 1); without them the histograms are a
   * third smaller and faster to build, and categorical splits estimate counts from hessians as
   * LightGBM does. Default true.
   */
  counts?: boolean;
  /** Most leaves of a tree: histograms live at once are at most one more. Default 31. */
  maxLeafNodes?: number;
  /** Build histograms with the WebAssembly kernel when it is available. Default true (false: tests of the JavaScript build). */
  wasm?: boolean;
}

/**
 * Reusable scratch for `growGradTree` over one binned matrix with fixed row weights. The arrays
 * the histogram build reads, and the histograms, sit in one WebAssembly memory for the
 * WebAssembly build (hist-kernel.ts) when it compiled and the fit fits in MAX_WASM_BYTES.
 */
export class GradTreeScratch {
  readonly offsets: Int32Array;
  readonly totalBins: number;
  readonly rows: Int32Array;
  /** Row-major histogram slot of each (row, feature): offsets[f] + bin, so a row's features are
   * adjacent, updating many different bins in a row keeps the stores independent, and the build
   * loop adds no offsets (measured: 10 % faster fits than row-major bins plus offsets). */
  readonly slots: Uint16Array | Uint32Array;
  /** Gradient and hessian of each row, interleaved (one load brings both). */
  readonly gh: Float64Array;
  /** Row weights (merged duplicates). */
  readonly w: Float64Array;
  /** Histograms not in use, reused instead of allocated per node. */
  private readonly free: Hist[] = [];
  /** Category order of one node's feature (CATEGORY_SMOOTHING-smoothed G / H). */
  readonly catBins: Int32Array;
  readonly catKey: Float64Array;
  readonly catOrder: Int32Array;
  /** Numbers per histogram bin: 3 with row counts, 2 without. */
  readonly stride: number;
  /** The WebAssembly build over this scratch's memory, when available. */
  readonly kernel: HistFn | null = null;

  constructor(
    readonly X: BinnedMatrix,
    w: Float64Array,
    options: GradTreeScratchOptions = {},
  ) {
    this.stride = options.counts === false ? 2 : 3;
    this.offsets = new Int32Array(X.cols + 1);
    let widest = 0;
    for (let f = 0; f < X.cols; f++) {
      this.offsets[f + 1] = this.offsets[f] + X.nBins[f];
      widest = Math.max(widest, X.nBins[f]);
    }
    this.totalBins = this.offsets[X.cols];
    const n = X.rows;
    const wide = this.totalBins > 0xffff;
    const histBytes = 8 * this.totalBins * this.stride;
    const hists = (options.maxLeafNodes ?? 31) + 1;
    // Layout: gh, w, histograms (8-byte aligned), rows, slots.
    const ghAt = 0;
    const wAt = ghAt + 16 * n;
    const histAt = wAt + 8 * n;
    const rowsAt = histAt + histBytes * hists;
    const slotsAt = rowsAt + 4 * n;
    const bytes = slotsAt + (wide ? 4 : 2) * n * X.cols;
    if (histModule && options.wasm !== false && bytes <= MAX_WASM_BYTES) {
      const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / PAGE) });
      const buf = memory.buffer;
      this.gh = new Float64Array(buf, ghAt, 2 * n);
      this.w = new Float64Array(buf, wAt, n);
      this.rows = new Int32Array(buf, rowsAt, n);
      this.slots = wide ? new Uint32Array(buf, slotsAt, n * X.cols) : new Uint16Array(buf, slotsAt, n * X.cols);
      for (let i = 0; i < hists; i++) this.free.push(new Float64Array(buf, histAt + i * histBytes, histBytes / 8));
      const exports = new WebAssembly.Instance(histModule, { env: { mem: memory } }).exports;
      this.kernel = exports[`hist${this.stride}_${wide ? 32 : 16}`] as HistFn;
    } else {
      this.gh = new Float64Array(2 * n);
      this.w = new Float64Array(n);
      this.rows = new Int32Array(n);
      this.slots = wide ? new Uint32Array(n * X.cols) : new Uint16Array(n * X.cols);
    }
    this.w.set(w);
    for (let f = 0; f < X.cols; f++) {
      const o = this.offsets[f];
      for (let i = 0; i < n; i++) this.slots[i * X.cols + f] = o + X.codes[f * n + i];
    }
    this.catBins = new Int32Array(widest);
    this.catKey = new Float64Array(widest);
    this.catOrder = new Int32Array(widest);
  }

  /** A zeroed histogram. */
  newHist(): Hist {
    const h = this.free.pop();
    if (!h) {
      if (this.kernel) throw new Error('gradient tree scratch: more histograms than maxLeafNodes + 1');
      return new Float64Array(this.totalBins * this.stride);
    }
    h.fill(0);
    return h;
  }

  release(h: Hist): void {
    this.free.push(h);
  }
}

/** Row-wise histogram build over rows [start, end) of `s.rows`, gradients from `s.gh`; returns the rows' weight. */
function buildHist(s: GradTreeScratch, hist: Hist, start: number, end: number): number {
  const { rows, slots, gh, w } = s;
  const cols = s.X.cols;
  if (s.kernel) return s.kernel(rows.byteOffset, start, end, slots.byteOffset, cols, gh.byteOffset, w.byteOffset, hist.byteOffset);
  let total = 0;
  if (s.stride === 2) {
    for (let i = start; i < end; i++) {
      const r = rows[i];
      const gr = gh[2 * r];
      const hr = gh[2 * r + 1];
      total += w[r];
      for (let k = r * cols, last = k + cols; k < last; k++) {
        const a = slots[k] << 1;
        hist[a] += gr;
        hist[a + 1] += hr;
      }
    }
    return total;
  }
  for (let i = start; i < end; i++) {
    const r = rows[i];
    const gr = gh[2 * r];
    const hr = gh[2 * r + 1];
    const wr = w[r];
    total += wr;
    for (let k = r * cols, last = k + cols; k < last; k++) {
      const a = slots[k] * 3;
      hist[a] += gr;
      hist[a + 1] += hr;
      hist[a + 2] += wr;
    }
  }
  return total;
}

/** What restricts one tree: the rows it sees (row subsampling) and the features it may split on. */
export interface GradTreeInputs {
  /** Rows of this tree (weight > 0 ones only); default all rows with weight > 0. */
  rows?: Int32Array;
  /** 1 for each feature the tree may split on (column subsampling); default all. */
  features?: Uint8Array;
}

/**
 * Grows one regression tree on gradients/hessians (`s.gh`, already multiplied by the row weights `s.w`),
 * best leaf first, with histogram subtraction for the larger child. Leaf values are the shrunken
 * Newton step -lr * G / (H + l2). Categorical features (X.categorical) split on a set of bins:
 * the node's bins are ordered by G / (H + CATEGORY_SMOOTHING) and the best prefix goes left
 * (LightGBM); bins without rows at the node go right. `onLeaf` receives each final leaf's row
 * range in `scratch.rows`.
 */
export function growGradTree(
  s: GradTreeScratch,
  p: GradTreeParams,
  onLeaf: (value: number, start: number, end: number) => void,
  inputs: GradTreeInputs = {},
): TreeBuffer {
  const { X, rows, offsets, catBins, catKey, catOrder, stride: S, w } = s;
  const counted = S === 3;
  let n = 0;
  if (inputs.rows) {
    rows.set(inputs.rows);
    n = inputs.rows.length;
  } else for (let i = 0; i < X.rows; i++) if (w[i] > 0) rows[n++] = i;
  const allowed = inputs.features;
  const tree = new TreeBuffer(1);
  const rootHist = s.newHist();
  const C = buildHist(s, rootHist, 0, n);
  // Every row falls in one bin of feature 0, so its bins sum to the node's totals.
  const sums = (hist: Hist): [number, number] => {
    let g = 0;
    let h = 0;
    for (let b = offsets[0]; b < offsets[1]; b++) {
      g += hist[S * b];
      h += hist[S * b + 1];
    }
    return [g, h];
  };
  const [G, H] = sums(rootHist);
  const score = (gs: number, hs: number) => (gs * gs) / (hs + p.l2);

  const catScore = (gs: number, hs: number) => (gs * gs) / (hs + p.l2 + CATEGORY_L2);

  /** Best set of the node's bins of categorical feature f: a prefix of either end of the order by smoothed G / H. */
  const evaluateCategorical = (leaf: Leaf, f: number): void => {
    const hist = leaf.hist;
    // Without counts a bin's rows are estimated from its hessian share (LightGBM's cnt_factor).
    const perHessian = leaf.C / leaf.H;
    const count = (b: number) => (counted ? hist[3 * b + 2] : hist[2 * b + 1] * perHessian);
    let m = 0;
    for (let b = offsets[f]; b < offsets[f + 1]; b++) {
      if (count(b) < CATEGORY_SMOOTHING) continue;
      catBins[m] = b;
      catKey[m++] = hist[S * b] / (hist[S * b + 1] + CATEGORY_SMOOTHING);
    }
    if (m < 2) return;
    const order = catOrder.subarray(0, m);
    for (let i = 0; i < m; i++) order[i] = i;
    order.sort((a, b) => catKey[a] - catKey[b] || a - b);
    const parent = catScore(leaf.G, leaf.H);
    const minRows = Math.max(p.minSamplesLeaf, CATEGORY_MIN_GROUP_ROWS);
    let cut = -1;
    let fromEnd = false;
    for (const reverse of [false, true]) {
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let i = 0; i < Math.min(m - 1, CATEGORY_MAX_SET); i++) {
        const b = catBins[order[reverse ? m - 1 - i : i]];
        gl += hist[S * b];
        hl += hist[S * b + 1];
        cl += count(b);
        if (cl < minRows || hl < p.minHessianToSplit) continue;
        const cr = leaf.C - cl;
        const hr = leaf.H - hl;
        if (cr < minRows || hr < p.minHessianToSplit) break;
        const gain = catScore(gl, hl) + catScore(leaf.G - gl, hr) - parent;
        if (gain > leaf.gain) {
          leaf.gain = gain;
          cut = i;
          fromEnd = reverse;
        }
      }
    }
    if (cut < 0) return;
    const binsLeft = new Uint8Array(offsets[f + 1] - offsets[f]);
    for (let i = 0; i <= cut; i++) binsLeft[catBins[order[fromEnd ? m - 1 - i : i]] - offsets[f]] = 1;
    leaf.feature = f;
    leaf.bin = 0;
    leaf.binsLeft = binsLeft;
  };

  const evaluate = (leaf: Leaf): Leaf => {
    leaf.gain = 0;
    leaf.feature = -1;
    leaf.binsLeft = null;
    if ((p.maxDepth > 0 && leaf.depth >= p.maxDepth) || leaf.C < 2 * p.minSamplesLeaf || leaf.H < p.minHessianToSplit) return leaf;
    const parent = score(leaf.G, leaf.H);
    const hist = leaf.hist;
    for (let f = 0; f < X.cols; f++) {
      if (allowed && !allowed[f]) continue;
      if (X.categorical[f]) {
        evaluateCategorical(leaf, f);
        continue;
      }
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = offsets[f], last = offsets[f + 1] - 1; b < last; b++) {
        gl += hist[S * b];
        hl += hist[S * b + 1];
        // Without counts minSamplesLeaf is at most 1, which any bin with rows meets.
        if (counted) {
          cl += hist[3 * b + 2];
          if (cl < p.minSamplesLeaf) continue;
          if (leaf.C - cl < p.minSamplesLeaf) break;
        }
        if (hl < p.minHessianToSplit) continue;
        const hr = leaf.H - hl;
        if (hr < p.minHessianToSplit) break;
        const gain = score(gl, hl) + score(leaf.G - gl, hr) - parent;
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

  const newLeaf = (node: number, start: number, end: number, depth: number, g: number, h: number, c: number, hist: Hist): Leaf => {
    tree.cover[node] = h;
    return evaluate({ node, start, end, depth, G: g, H: h, C: c, hist, gain: 0, feature: -1, bin: 0, binsLeft: null });
  };

  const leaves = growBestFirst(tree, s, p.maxLeafNodes, newLeaf(tree.add(), 0, n, 0, G, H, C, rootHist), (hist, a, b) => buildHist(s, hist, a, b), (leaf, l, r, smallRows, leftSmaller) => {
    const [lg, lhs] = sums(l.hist);
    const lc = leftSmaller ? smallRows : leaf.C - smallRows;
    const depth = leaf.depth + 1;
    return [newLeaf(l.node, l.start, l.end, depth, lg, lhs, lc, l.hist), newLeaf(r.node, r.start, r.end, depth, leaf.G - lg, leaf.H - lhs, leaf.C - lc, r.hist)];
  });
  for (const leaf of leaves) {
    const v = (-p.learningRate * leaf.G) / (leaf.H + p.l2);
    tree.value[leaf.node] = v;
    onLeaf(v, leaf.start, leaf.end);
  }
  return tree;
}

/** The leaf a row of binned codes (column-major, `rows` long) reaches in a tree being built. */
export function leafOfBinned(tree: TreeBuffer, codes: Uint8Array, rows: number, row: number): number {
  let node = 0;
  while (tree.feature[node] >= 0) {
    const f = tree.feature[node];
    const code = codes[f * rows + row];
    const set = tree.binsLeft.get(node);
    const goLeft = set ? set[code] === 1 : code <= tree.bin[node];
    node = goLeft ? tree.left[node] : tree.left[node] + 1;
  }
  return node;
}
