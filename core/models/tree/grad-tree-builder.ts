import type { BinnedMatrix } from './binning.js';
import { partition, TreeBuffer } from './tree-buffer.js';

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
 * Per-bin sums for every feature of one node, interleaved as [g, h, count] per bin so one bin's
 * three sums share a cache line.
 */
type Hist = Float64Array;

interface Leaf {
  node: number;
  start: number;
  end: number;
  depth: number;
  G: number;
  H: number;
  C: number;
  hist: Hist;
  gain: number;
  feature: number;
  bin: number;
}

/** Reusable scratch for `growGradTree` over one binned matrix. */
export class GradTreeScratch {
  readonly offsets: Int32Array;
  readonly totalBins: number;
  readonly rows: Int32Array;
  constructor(readonly X: BinnedMatrix) {
    this.offsets = new Int32Array(X.cols + 1);
    for (let f = 0; f < X.cols; f++) this.offsets[f + 1] = this.offsets[f] + X.nBins[f];
    this.totalBins = this.offsets[X.cols];
    this.rows = new Int32Array(X.rows);
    this.byRow = new Uint8Array(X.rows * X.cols);
    for (let f = 0; f < X.cols; f++) for (let i = 0; i < X.rows; i++) this.byRow[i * X.cols + f] = X.codes[f * X.rows + i];
  }
  /** Row-major copy of the bin codes: a row's features are one cache line, and updating 30 different
   * histograms in a row keeps the stores independent. */
  readonly byRow: Uint8Array;
  newHist(): Hist {
    return new Float64Array(this.totalBins * 3);
  }
}

function buildHist(s: GradTreeScratch, hist: Hist, start: number, end: number, g: Float64Array, h: Float64Array, w: Float64Array): void {
  const { rows, offsets, byRow } = s;
  const cols = s.X.cols;
  for (let i = start; i < end; i++) {
    const r = rows[i];
    const gr = g[r];
    const hr = h[r];
    const wr = w[r];
    const base = r * cols;
    for (let f = 0; f < cols; f++) {
      const a = (offsets[f] + byRow[base + f]) * 3;
      hist[a] += gr;
      hist[a + 1] += hr;
      hist[a + 2] += wr;
    }
  }
}

/**
 * Grows one regression tree on gradients/hessians (already multiplied by row weights), best leaf
 * first, with histogram subtraction for the larger child. Leaf values are the shrunken Newton step
 * -lr * G / (H + l2). `onLeaf` receives each final leaf's row range in `scratch.rows`.
 */
export function growGradTree(
  s: GradTreeScratch,
  g: Float64Array,
  h: Float64Array,
  w: Float64Array,
  p: GradTreeParams,
  onLeaf: (value: number, start: number, end: number) => void,
): TreeBuffer {
  const { X, rows, offsets } = s;
  let n = 0;
  for (let i = 0; i < X.rows; i++) if (w[i] > 0) rows[n++] = i;
  const tree = new TreeBuffer(1);
  const rootHist = s.newHist();
  buildHist(s, rootHist, 0, n, g, h, w);
  // Every row falls in one bin of feature 0, so its bins sum to the node's totals.
  const sums = (hist: Hist): [number, number, number] => {
    let g = 0;
    let h = 0;
    let c = 0;
    for (let b = offsets[0]; b < offsets[1]; b++) {
      g += hist[3 * b];
      h += hist[3 * b + 1];
      c += hist[3 * b + 2];
    }
    return [g, h, c];
  };
  const [G, H, C] = sums(rootHist);
  const score = (gs: number, hs: number) => (gs * gs) / (hs + p.l2);

  const evaluate = (leaf: Leaf): Leaf => {
    leaf.gain = 0;
    leaf.feature = -1;
    if ((p.maxDepth > 0 && leaf.depth >= p.maxDepth) || leaf.C < 2 * p.minSamplesLeaf || leaf.H < p.minHessianToSplit) return leaf;
    const parent = score(leaf.G, leaf.H);
    const hist = leaf.hist;
    for (let f = 0; f < X.cols; f++) {
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = offsets[f], last = offsets[f + 1] - 1; b < last; b++) {
        gl += hist[3 * b];
        hl += hist[3 * b + 1];
        cl += hist[3 * b + 2];
        if (cl < p.minSamplesLeaf || hl < p.minHessianToSplit) continue;
        const cr = leaf.C - cl;
        const hr = leaf.H - hl;
        if (cr < p.minSamplesLeaf || hr < p.minHessianToSplit) break;
        const gain = score(gl, hl) + score(leaf.G - gl, hr) - parent;
        if (gain > leaf.gain) {
          leaf.gain = gain;
          leaf.feature = f;
          leaf.bin = b - offsets[f];
        }
      }
    }
    return leaf;
  };

  const open: Leaf[] = [evaluate({ node: tree.add(), start: 0, end: n, depth: 0, G, H, C, hist: rootHist, gain: 0, feature: -1, bin: 0 })];
  const done: Leaf[] = [];
  while (open.length && open.length + done.length < p.maxLeafNodes) {
    let best = 0;
    for (let i = 1; i < open.length; i++) if (open[i].gain > open[best].gain) best = i;
    const leaf = open[best];
    open[best] = open[open.length - 1];
    open.pop();
    if (leaf.feature < 0) {
      done.push(leaf);
      continue;
    }
    const mid = partition(rows, leaf.start, leaf.end, X.codes, leaf.feature * X.rows, leaf.bin);
    const left = tree.split(leaf.node, leaf.feature, leaf.bin);
    const leftSmaller = mid - leaf.start <= leaf.end - mid;
    const small = s.newHist();
    if (leftSmaller) buildHist(s, small, leaf.start, mid, g, h, w);
    else buildHist(s, small, mid, leaf.end, g, h, w);
    // The parent's histogram becomes the larger child's by subtraction.
    const large = leaf.hist;
    for (let b = 0; b < large.length; b++) large[b] -= small[b];
    const lh = leftSmaller ? small : large;
    const rh = leftSmaller ? large : small;
    const [lg, lhs, lc] = sums(lh);
    const depth = leaf.depth + 1;
    open.push(evaluate({ node: left, start: leaf.start, end: mid, depth, G: lg, H: lhs, C: lc, hist: lh, gain: 0, feature: -1, bin: 0 }));
    open.push(
      evaluate({ node: left + 1, start: mid, end: leaf.end, depth, G: leaf.G - lg, H: leaf.H - lhs, C: leaf.C - lc, hist: rh, gain: 0, feature: -1, bin: 0 }),
    );
  }
  for (const leaf of [...open, ...done]) {
    const v = (-p.learningRate * leaf.G) / (leaf.H + p.l2);
    tree.value[leaf.node] = v;
    onLeaf(v, leaf.start, leaf.end);
  }
  return tree;
}
