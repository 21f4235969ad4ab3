import type { Matrix } from '../data/matrix.js';
import type { CategoricalFeature } from '../transform/feature-encoder.js';

/**
 * Model file format written by `toJSON()`. 2: tree nodes carry their cover and logistic regression
 * its training means (what explanations need); 1 (still loaded): without them.
 */
export const MODEL_FORMAT_VERSION = 2;

/** Serialised model: a kind discriminator, a format version, the params it was built with, its fitted state. */
export interface ModelJSON<P = unknown, S = unknown> {
  kind: string;
  version: number;
  params: P;
  state: S;
}

export interface FitOptions {
  nClasses: number;
  /**
   * Columns of X that hold category codes (`Preprocessor.categoricalFeatures`): models that split
   * on category sets (gradient boosting) use them; others read them as numbers. Default none.
   */
  categorical?: CategoricalFeature[];
  /** Called with (done, total) units of work (trees, epochs, ...). */
  onProgress?: (done: number, total: number) => void;
  /** Epoch ms: iterative models (MLP epochs) stop adding work at this time and keep what they have. Default: none. */
  deadline?: number;
}

/** The contract of every classifier: fit, class probabilities (rows x classes, row-major), JSON. */
export interface Classifier {
  readonly kind: string;
  fit(X: Matrix, y: Int32Array, opts: FitOptions): Promise<void>;
  predictProba(X: Matrix): Float64Array;
  toJSON(): ModelJSON;
  /** What the last fit changed from its params and why (a size cap, say): the run's notes show it. */
  readonly fitNotes?: readonly string[];
}

/**
 * Ensembles whose smaller sizes are prefixes of a bigger fit (trees, boosting rounds) expose them,
 * so a grid over the size costs one fit (like scikit-learn's staged_predict / warm_start).
 */
export interface Staged {
  /** Name of the param that sets the ensemble size. */
  readonly stageParam: string;
  predictProbaStaged(X: Matrix, stages: number[]): Float64Array[];
}

export function isStaged(m: Classifier): m is Classifier & Staged {
  return typeof (m as Partial<Staged>).predictProbaStaged === 'function';
}

/** Index of the largest value per row: the predicted class. */
export function argmaxRows(proba: Float64Array, K: number): Int32Array {
  const n = proba.length / K;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (proba[i * K + k] > proba[i * K + best]) best = k;
    out[i] = best;
  }
  return out;
}

export function assertFitted<T>(state: T | undefined, kind: string): T {
  if (state === undefined) throw new Error(`${kind} is not fitted`);
  return state;
}
