import { Rng } from '../../data/rng.js';
import type { BinnedMatrix } from './binning.js';
import { partition, TreeBuffer } from './tree-buffer.js';

export type Criterion = 'gini' | 'entropy';

export interface ClassTreeParams {
  criterion: Criterion;
  /** Deepest node depth (root = 0); 0 means unlimited. */
  maxDepth: number;
  /** Smallest weighted row count a node must have to be split. */
  minSamplesSplit: number;
  /** Smallest weighted row count of a child. */
  minSamplesLeaf: number;
  /** Features drawn per split; the search goes on past it until a valid split is found (as sklearn). */
  maxFeatures: number;
  seed: number;
}

interface Pending {
  node: number;
  start: number;
  end: number;
  depth: number;
}

/**
 * Grows one classification tree (CART) on binned features with weighted rows, depth first.
 * Leaf values are weighted class shares, so a forest averages probabilities as scikit-learn does.
 */
export function growClassTree(X: BinnedMatrix, y: Int32Array, w: Float64Array, K: number, p: ClassTreeParams): TreeBuffer {
  const rng = new Rng(p.seed);
  const rowsAll: number[] = [];
  for (let i = 0; i < X.rows; i++) if (w[i] > 0) rowsAll.push(i);
  const rows = Int32Array.from(rowsAll);
  const tree = new TreeBuffer(K);
  const maxBins = X.nBins.reduce((a, b) => Math.max(a, b), 0);
  const hist = new Float64Array(maxBins * K);
  const leftTot = new Float64Array(K);
  const total = new Float64Array(K);
  const features = Int32Array.from({ length: X.cols }, (_, i) => i);
  const entropy = p.criterion === 'entropy';
  const stack: Pending[] = [{ node: tree.add(), start: 0, end: rows.length, depth: 0 }];

  // Impurity score to maximise: sum over children of n * (-impurity) up to a constant.
  const childScore = (counts: Float64Array | number[], n: number): number => {
    let s = 0;
    if (entropy) {
      for (let k = 0; k < K; k++) if (counts[k] > 0) s += counts[k] * Math.log(counts[k] / n);
      return s;
    }
    for (let k = 0; k < K; k++) s += counts[k] * counts[k];
    return s / n;
  };

  while (stack.length) {
    const { node, start, end, depth } = stack.pop()!;
    total.fill(0);
    for (let i = start; i < end; i++) total[y[rows[i]]] += w[rows[i]];
    let n = 0;
    let nonZero = 0;
    for (let k = 0; k < K; k++) {
      n += total[k];
      if (total[k] > 0) nonZero++;
    }
    const base = node * K;
    tree.cover[node] = n;
    for (let k = 0; k < K; k++) tree.value[base + k] = total[k] / n;
    if (nonZero <= 1 || (p.maxDepth > 0 && depth >= p.maxDepth) || n < p.minSamplesSplit || n < 2 * p.minSamplesLeaf) continue;

    const parentScore = childScore(total, n);
    let bestGain = 1e-12;
    let bestF = -1;
    let bestBin = -1;
    // Fisher-Yates draw, one feature at a time, stopping once maxFeatures were tried and a split was found.
    for (let drawn = 0; drawn < X.cols && (drawn < p.maxFeatures || bestF < 0); drawn++) {
      const j = drawn + rng.int(X.cols - drawn);
      const f = features[j];
      features[j] = features[drawn];
      features[drawn] = f;
      const nb = X.nBins[f];
      if (nb < 2) continue;
      const off = f * X.rows;
      hist.fill(0, 0, nb * K);
      for (let i = start; i < end; i++) {
        const r = rows[i];
        hist[X.codes[off + r] * K + y[r]] += w[r];
      }
      leftTot.fill(0);
      let nl = 0;
      for (let b = 0; b < nb - 1; b++) {
        for (let k = 0; k < K; k++) {
          const c = hist[b * K + k];
          leftTot[k] += c;
          nl += c;
        }
        const nr = n - nl;
        if (nl < p.minSamplesLeaf) continue;
        if (nr < p.minSamplesLeaf) break;
        let rightScore: number;
        if (entropy) {
          rightScore = 0;
          for (let k = 0; k < K; k++) {
            const c = total[k] - leftTot[k];
            if (c > 0) rightScore += c * Math.log(c / nr);
          }
        } else {
          rightScore = 0;
          for (let k = 0; k < K; k++) {
            const c = total[k] - leftTot[k];
            rightScore += c * c;
          }
          rightScore /= nr;
        }
        const gain = childScore(leftTot, nl) + rightScore - parentScore;
        if (gain > bestGain) {
          bestGain = gain;
          bestF = f;
          bestBin = b;
        }
      }
    }
    if (bestF < 0) continue;
    const mid = partition(rows, start, end, X.codes, bestF * X.rows, bestBin);
    const left = tree.split(node, bestF, bestBin);
    stack.push({ node: left + 1, start: mid, end, depth: depth + 1 }, { node: left, start, end: mid, depth: depth + 1 });
  }
  return tree;
}
