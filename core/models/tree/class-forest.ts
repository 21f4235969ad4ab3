import type { Matrix } from '../../data/matrix.js';
import { Rng } from '../../data/rng.js';
import { growClassTree, type Criterion } from './class-tree-builder.js';
import { Forest } from './forest.js';
import { prepareTreeData } from './tree-data.js';
import { finishTree, type Tree } from './tree-buffer.js';

export interface ClassForestSpec {
  nTrees: number;
  bootstrap: boolean;
  criterion: Criterion;
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  maxFeatures: number;
  maxBins: number;
  seed: number;
  onProgress?: (done: number, total: number) => void;
  /** Epoch ms after which no further tree starts (the first always does): a refit inside a time budget keeps the trees it has. */
  deadline?: number;
}

/** Fits classification trees (one for a decision tree, many bootstrapped for a forest). */
export function fitClassTrees(X: Matrix, y: Int32Array, K: number, s: ClassForestSpec): Tree[] {
  const data = prepareTreeData(X, y, s.maxBins);
  const rng = new Rng(s.seed);
  const weight = new Float64Array(data.X.rows);
  const trees: Tree[] = [];
  for (let t = 0; t < s.nTrees; t++) {
    if (t > 0 && s.deadline !== undefined && Date.now() > s.deadline) break;
    if (s.bootstrap) {
      // Draw n original rows with replacement, counted on their merged rows: the same law as
      // bootstrapping the unmerged data.
      weight.fill(0);
      for (let i = 0; i < X.rows; i++) weight[data.merged[rng.int(X.rows)]]++;
    } else weight.set(data.weight);
    const buf = growClassTree(data.X, data.y, weight, K, { ...s, seed: rng.fork() });
    trees.push(finishTree(buf, data.binner.edges));
    s.onProgress?.(t + 1, s.nTrees);
  }
  return trees;
}

export function classForest(trees: Tree[], K: number): Forest {
  return new Forest(trees, K, new Int32Array(trees.length));
}

/** Mean of the trees' class shares over the first `upTo` trees. */
export function forestProba(forest: Forest, X: Matrix, K: number, upTo = forest.size): Float64Array {
  const out = new Float64Array(X.rows * K);
  forest.accumulate(X, out, K, upTo);
  for (let i = 0; i < out.length; i++) out[i] /= upTo;
  return out;
}
