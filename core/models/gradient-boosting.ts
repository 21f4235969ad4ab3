import { z } from 'zod';
import type { Matrix } from '../data/matrix.js';
import { type Classifier, type FitOptions, type ModelJSON, type Staged } from './model.js';
import { ModelBase } from './model-base.js';
import { MaxDepth, Seed } from './params.js';
import { Forest } from './tree/forest.js';
import { GradTreeScratch, growGradTree } from './tree/grad-tree-builder.js';
import { prepareTreeData } from './tree/tree-data.js';
import { finishTree, type Tree } from './tree/tree-buffer.js';
import { TreeJSON } from './tree/tree-json.js';

export const GradientBoostingParams = z.object({
  /** Boosting rounds (one tree per round, one per class per round when multi-class). Default 100. */
  maxIter: z.number().int().min(1).max(100_000).default(100),
  /** Shrinkage of each tree. Default 0.1. */
  learningRate: z.number().positive().max(10).default(0.1),
  /** Leaves per tree, grown best-first. Default 31. */
  maxLeafNodes: z.number().int().min(2).max(65_536).default(31),
  /** Default unlimited. */
  maxDepth: MaxDepth.default(0),
  /** Default 20. */
  minSamplesLeaf: z.number().int().min(1).default(20),
  /** L2 penalty on leaf values. Default 0. */
  l2Regularization: z.number().nonnegative().default(0),
  maxBins: z.number().int().min(2).max(256).default(255),
  seed: Seed,
});
export type GradientBoostingParams = z.input<typeof GradientBoostingParams>;

const State = z.object({
  nClasses: z.number().int().min(2),
  /** Raw score before any tree: log-odds (binary) or log priors (multi-class). */
  baseline: z.array(z.number()),
  trees: z.array(TreeJSON),
});
type State = z.infer<typeof State>;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Histogram gradient boosting with log loss, as LightGBM and scikit-learn's
 * HistGradientBoostingClassifier: binned features, leaf-wise trees, Newton leaf values.
 * Binary problems fit one score (class 1's log-odds); K classes fit K trees a round (softmax).
 */
export class GradientBoosting extends ModelBase<typeof GradientBoostingParams, State> implements Classifier, Staged {
  static readonly kind = 'gradient_boosting';
  readonly stageParam = 'maxIter';
  private forest?: Forest;

  constructor(params: GradientBoostingParams = {}) {
    super(GradientBoosting.kind, GradientBoostingParams, params);
  }

  async fit(X: Matrix, y: Int32Array, opts: FitOptions): Promise<void> {
    const p = this.params;
    const K = opts.nClasses;
    const D = K === 2 ? 1 : K;
    const data = prepareTreeData(X, y, p.maxBins);
    const n = data.X.rows;
    const w = data.weight;
    let total = 0;
    const prior = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      prior[data.y[i]] += w[i];
      total += w[i];
    }
    const eps = 1e-15;
    const baseline =
      D === 1
        ? [Math.log(Math.max(prior[1], eps) / Math.max(prior[0], eps))]
        : Array.from(prior, (c) => Math.log(Math.max(c / total, eps)));
    const raw = new Float64Array(n * D);
    for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) raw[i * D + d] = baseline[d];
    const g = new Float64Array(n);
    const h = new Float64Array(n);
    const prob = new Float64Array(n * D);
    const scratch = new GradTreeScratch(data.X);
    const trees: Tree[] = [];
    const treeParams = { ...p, l2: p.l2Regularization, minHessianToSplit: 1e-3 };
    for (let it = 0; it < p.maxIter; it++) {
      computeProb(raw, prob, n, D);
      for (let d = 0; d < D; d++) {
        for (let i = 0; i < n; i++) {
          const pi = prob[i * D + d];
          const yi = D === 1 ? data.y[i] : data.y[i] === d ? 1 : 0;
          g[i] = w[i] * (pi - yi);
          h[i] = w[i] * Math.max(pi * (1 - pi), 1e-16);
        }
        const rows = scratch.rows;
        const buf = growGradTree(scratch, g, h, w, treeParams, (v, start, end) => {
          for (let j = start; j < end; j++) raw[rows[j] * D + d] += v;
        });
        trees.push(finishTree(buf, data.binner.edges));
      }
      opts.onProgress?.(it + 1, p.maxIter);
    }
    this.load({ nClasses: K, baseline, trees });
  }

  private load(state: State): this {
    const D = state.nClasses === 2 ? 1 : state.nClasses;
    this.state = state;
    this.forest = new Forest(state.trees, 1, Int32Array.from(state.trees, (_, t) => t % D));
    return this;
  }

  private rawScores(X: Matrix, upToRounds: number): { raw: Float64Array; D: number } {
    const s = this.fitted();
    const D = s.nClasses === 2 ? 1 : s.nClasses;
    const raw = new Float64Array(X.rows * D);
    for (let i = 0; i < X.rows; i++) for (let d = 0; d < D; d++) raw[i * D + d] = s.baseline[d];
    this.forest!.accumulate(X, raw, D, Math.min(upToRounds * D, this.forest!.size));
    return { raw, D };
  }

  predictProba(X: Matrix): Float64Array {
    const { raw, D } = this.rawScores(X, Infinity);
    return toProba(raw, X.rows, D);
  }

  predictProbaStaged(X: Matrix, stages: number[]): Float64Array[] {
    return stages.map((m) => {
      const { raw, D } = this.rawScores(X, m);
      return toProba(raw, X.rows, D);
    });
  }

  static fromJSON(json: ModelJSON): GradientBoosting {
    return new GradientBoosting(json.params as GradientBoostingParams).load(State.parse(json.state));
  }
}

function computeProb(raw: Float64Array, prob: Float64Array, n: number, D: number): void {
  if (D === 1) {
    for (let i = 0; i < n; i++) prob[i] = sigmoid(raw[i]);
    return;
  }
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let d = 0; d < D; d++) max = Math.max(max, raw[i * D + d]);
    let sum = 0;
    for (let d = 0; d < D; d++) sum += prob[i * D + d] = Math.exp(raw[i * D + d] - max);
    for (let d = 0; d < D; d++) prob[i * D + d] /= sum;
  }
}

function toProba(raw: Float64Array, n: number, D: number): Float64Array {
  if (D === 1) {
    const out = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      const p = sigmoid(raw[i]);
      out[2 * i] = 1 - p;
      out[2 * i + 1] = p;
    }
    return out;
  }
  const out = new Float64Array(n * D);
  computeProb(raw, out, n, D);
  return out;
}
