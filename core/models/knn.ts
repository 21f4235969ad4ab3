import { z } from 'zod';
import { distinctRows } from '../data/distinct-rows.js';
import type { Matrix } from '../data/matrix.js';
import { type Classifier, type FitOptions, type ModelJSON, type Staged } from './model.js';
import { ModelBase } from './model-base.js';
import { chooseSearch, type NeighbourSearch } from './knn-search.js';

export const KnnParams = z.object({
  /** Neighbours that vote. Default 5. */
  nNeighbors: z.number().int().min(1).max(1000).default(5),
  /** `distance` weighs votes by 1/d (exact matches alone decide when any exist). Default uniform. */
  weights: z.enum(['uniform', 'distance']).default('uniform'),
  /** Neighbour search: `kd_tree`, `brute`, or `auto` (see chooseSearch). Same neighbours either way. Default auto. */
  algorithm: z.enum(['auto', 'kd_tree', 'brute']).default('auto'),
});
export type KnnParams = z.input<typeof KnnParams>;

const State = z.object({
  nClasses: z.number().int().min(2),
  cols: z.number().int().min(1),
  /** Distinct training rows, row-major. */
  points: z.array(z.number()),
  /** Per distinct row, how many training rows of each class it stands for (rows x K). */
  counts: z.array(z.number()),
});
type State = z.infer<typeof State>;

/**
 * k-nearest-neighbours classifier, Euclidean distance. Identical training rows are stored once with
 * per-class counts and still count as that many neighbours. The neighbour index (KD-tree or brute
 * force, see knn-search.ts) is built when the model is fitted or loaded, not stored.
 */
export class Knn extends ModelBase<typeof KnnParams, State> implements Classifier, Staged {
  static readonly kind = 'knn';
  readonly stageParam = 'nNeighbors';
  private counts?: Float64Array;
  private index?: NeighbourSearch;

  constructor(params: KnnParams = {}) {
    super(Knn.kind, KnnParams, params);
  }

  async fit(X: Matrix, y: Int32Array, opts: FitOptions): Promise<void> {
    if (X.data.some(Number.isNaN)) throw new Error('knn: training rows must not hold missing values (impute first)');
    const d = distinctRows(X, y, opts.nClasses);
    this.load({ nClasses: opts.nClasses, cols: X.cols, points: Array.from(d.X.data), counts: Array.from(d.counts) });
  }

  private load(s: State): this {
    this.state = s;
    this.counts = Float64Array.from(s.counts);
    this.index = chooseSearch(Float64Array.from(s.points), s.cols, this.params.nNeighbors, this.params.algorithm);
    return this;
  }

  /** Which neighbour search scoring uses. */
  get algorithm(): NeighbourSearch['algorithm'] {
    this.fitted();
    return this.index!.algorithm;
  }

  predictProba(X: Matrix): Float64Array {
    return this.predictProbaStaged(X, [this.params.nNeighbors])[0];
  }

  /** Probabilities for several neighbour counts from one neighbour search. */
  predictProbaStaged(X: Matrix, stages: number[]): Float64Array[] {
    const s = this.fitted();
    const { nClasses: K, cols } = s;
    if (X.cols !== cols) throw new Error(`knn: expected ${cols} columns, got ${X.cols}`);
    const index = this.index!;
    const cnt = this.counts!;
    const k = stages.reduce((a, b) => Math.max(a, b));
    // The k nearest distinct rows always hold the k nearest neighbours (each stands for >= 1 row).
    const { dist, idx, found } = index.searchRows(X.data, X.rows, k);
    const outs = stages.map(() => new Float64Array(X.rows * K));
    for (let r = 0; r < X.rows; r++) {
      const bestD = dist.subarray(r * k, (r + 1) * k);
      const bestI = idx.subarray(r * k, (r + 1) * k);
      stages.forEach((kk, i) => this.vote(bestD, bestI, found[r], kk, cnt, K, outs[i].subarray(r * K, (r + 1) * K)));
    }
    return outs;
  }

  /** Takes neighbours nearest first, each distinct row giving up to its count, and normalises the vote. */
  private vote(dist: Float64Array, idx: Int32Array, found: number, k: number, cnt: Float64Array, K: number, out: Float64Array): void {
    const exact = this.params.weights === 'distance' && found > 0 && dist[0] === 0;
    let need = k;
    for (let a = 0; a < found && need > 0; a++) {
      if (exact && dist[a] > 0) break;
      const j = idx[a];
      let total = 0;
      for (let c = 0; c < K; c++) total += cnt[j * K + c];
      const take = Math.min(total, need);
      need -= take;
      const w = this.params.weights === 'distance' && !exact ? 1 / Math.sqrt(dist[a]) : 1;
      for (let c = 0; c < K; c++) out[c] += (w * take * cnt[j * K + c]) / total;
    }
    let sum = 0;
    for (let c = 0; c < K; c++) sum += out[c];
    for (let c = 0; c < K; c++) out[c] /= sum;
  }

  static fromJSON(json: ModelJSON): Knn {
    return new Knn(json.params as KnnParams).load(State.parse(json.state));
  }
}
