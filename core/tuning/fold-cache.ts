import { takeDataset, type Dataset } from '../data/frame.js';
import type { Matrix } from '../data/matrix.js';
import { stratifiedKFold } from '../data/split.js';
import type { CategoricalFeature } from '../transform/feature-encoder.js';
import { Preprocessor } from '../transform/preprocessor.js';
import { FitCost } from './fit-cost.js';
import { stratifiedOrder, stratifiedSample } from '../data/stratified-order.js';

export interface FoldData {
  Xtrain: Matrix;
  ytrain: Int32Array;
  Xval: Matrix;
  yval: Int32Array;
  /** Columns of X holding category codes (native categoricals), for the model's fit. */
  categorical: CategoricalFeature[];
}

/**
 * Preprocessed CV folds of a stratified row sample (all rows, or a prefix of one seeded stratified
 * order, so bigger samples contain smaller ones), fitted on each fold's training rows only (no
 * leakage) and shared by every family that asks for the same rows and preprocessing. Only one
 * sample size is kept at a time: halving rounds grow, and memory stays bounded at 1M rows.
 */
export class FoldCache {
  /** Seconds to preprocess a fold against the sample's rows (train + validation), as measured: what a refit's preprocessing costs too. */
  readonly prep = new FitCost();
  private cache = new Map<string, FoldData>();
  private cachedRows = -1;
  private order?: Int32Array;
  private sample?: { rows: number; data: Dataset; folds: ReturnType<typeof stratifiedKFold> };

  constructor(
    private readonly data: Dataset,
    readonly k: number,
    private readonly seed: number,
  ) {}

  /** Whether fold `fold` of the `rows`-row sample is built (get returns it without preprocessing). */
  holds(rows: number, fold: number, scale: boolean, native = false): boolean {
    return Math.min(rows, this.nRows) === this.cachedRows && this.cache.has(`${fold}:${scale}:${native}`);
  }

  get nRows(): number {
    return this.data.labels.length;
  }

  /**
   * Fold `fold` of the `rows`-row sample (all rows when rows >= nRows), with or without scaling,
   * categoricals one-hot or native (one code column each, for models that split on category sets).
   */
  get(rows: number, fold: number, scale: boolean, native = false): FoldData {
    rows = Math.min(rows, this.nRows);
    if (rows !== this.cachedRows) {
      this.cache.clear();
      this.cachedRows = rows;
    }
    const key = `${fold}:${scale}:${native}`;
    let hit = this.cache.get(key);
    if (!hit) {
      const t0 = performance.now();
      const { data, folds } = this.sampleOf(rows);
      const { train, test } = folds[fold];
      const tr = takeDataset(data, train);
      const va = takeDataset(data, test);
      const pre = new Preprocessor({ scale, nativeCategoricals: native });
      const Xtrain = pre.fitTransform(tr.features);
      hit = { Xtrain, ytrain: tr.labels, Xval: pre.transform(va.features), yval: va.labels, categorical: pre.categoricalFeatures };
      this.cache.set(key, hit);
      this.prep.record(rows, (performance.now() - t0) / 1000, 0, 0);
    }
    return hit;
  }

  /**
   * Drops the cached folds and sample (the stratified order stays): a family's refit needs
   * neither, and at a million rows they hold as much as the refit's own matrix.
   */
  release(): void {
    this.cache.clear();
    this.cachedRows = -1;
    this.sample = undefined;
  }

  /** The `rows`-row stratified sample of the data (the data itself at full size). */
  subsample(rows: number): Dataset {
    if (rows >= this.nRows) return this.data;
    this.order ??= stratifiedOrder(this.data.labels, this.seed);
    return takeDataset(this.data, stratifiedSample(this.order, rows));
  }

  private sampleOf(rows: number) {
    if (this.sample?.rows !== rows) {
      const data = this.subsample(rows);
      this.sample = { rows, data, folds: stratifiedKFold(data.labels, this.k, this.seed) };
    }
    return this.sample;
  }
}
