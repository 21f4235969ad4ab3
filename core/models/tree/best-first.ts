import type { BinnedMatrix } from './binning.js';
import { partition, partitionSet, type TreeBuffer } from './tree-buffer.js';

/** What best-first growth needs of a leaf: its node, row range, histogram and best split (feature < 0: none). */
export interface GrowLeaf {
  node: number;
  start: number;
  end: number;
  depth: number;
  hist: Float64Array;
  gain: number;
  feature: number;
  bin: number;
  /** Bins going left when the best split is categorical. */
  binsLeft: Uint8Array | null;
}

/** The histograms and row order of a tree being grown (GradTreeScratch, MultiTreeScratch). */
export interface GrowScratch {
  readonly X: BinnedMatrix;
  readonly rows: Int32Array;
  newHist(): Float64Array;
  release(h: Float64Array): void;
}

/** One child of a split, before its sums and best split are known. */
export interface ChildPart {
  node: number;
  start: number;
  end: number;
  hist: Float64Array;
}

/**
 * Grows a tree best leaf first (leaf-wise, as LightGBM / HistGradientBoosting) from `root` until
 * `maxLeafNodes` leaves or no leaf can split: the open leaf of highest gain splits (its rows
 * partitioned in `s.rows`), the smaller child's histogram is built by `build` (which returns the
 * rows' weight) and the larger child's is the parent's minus it. `children` makes the two child
 * leaves (their sums and best splits) from their parts; `smallWeight` is what `build` returned for
 * the smaller child. Returns every final leaf, their histograms released.
 */
export function growBestFirst<L extends GrowLeaf>(
  tree: TreeBuffer,
  s: GrowScratch,
  maxLeafNodes: number,
  root: L,
  build: (hist: Float64Array, start: number, end: number) => number,
  children: (parent: L, left: ChildPart, right: ChildPart, smallWeight: number, leftSmaller: boolean) => [L, L],
): L[] {
  const { X, rows } = s;
  const open: L[] = [root];
  const done: L[] = [];
  while (open.length && open.length + done.length < maxLeafNodes) {
    let best = 0;
    for (let i = 1; i < open.length; i++) if (open[i].gain > open[best].gain) best = i;
    const leaf = open[best];
    open[best] = open[open.length - 1];
    open.pop();
    if (leaf.feature < 0) {
      s.release(leaf.hist);
      done.push(leaf);
      continue;
    }
    const offset = leaf.feature * X.rows;
    const mid = leaf.binsLeft
      ? partitionSet(rows, leaf.start, leaf.end, X.codes, offset, leaf.binsLeft)
      : partition(rows, leaf.start, leaf.end, X.codes, offset, leaf.bin);
    const child = leaf.binsLeft ? tree.splitSet(leaf.node, leaf.feature, leaf.binsLeft) : tree.split(leaf.node, leaf.feature, leaf.bin);
    const leftSmaller = mid - leaf.start <= leaf.end - mid;
    const small = s.newHist();
    const smallWeight = leftSmaller ? build(small, leaf.start, mid) : build(small, mid, leaf.end);
    // The parent's histogram becomes the larger child's by subtraction.
    const large = leaf.hist;
    for (let b = 0; b < large.length; b++) large[b] -= small[b];
    const left = { node: child, start: leaf.start, end: mid, hist: leftSmaller ? small : large };
    const right = { node: child + 1, start: mid, end: leaf.end, hist: leftSmaller ? large : small };
    const [a, b] = children(leaf, left, right, smallWeight, leftSmaller);
    open.push(a, b);
  }
  for (const leaf of open) s.release(leaf.hist);
  return [...open, ...done];
}
