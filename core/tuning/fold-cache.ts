import { takeDataset, type Dataset } from '../data/frame.js';
import type { Matrix } from '../data/matrix.js';
import type { Split } from '../data/split.js';
import { Preprocessor } from '../transform/preprocessor.js';

export interface FoldData {
  Xtrain: Matrix;
  ytrain: Int32Array;
  Xval: Matrix;
  yval: Int32Array;
}

/**
 * Preprocessed CV folds, fitted on each fold's training rows only (no leakage) and shared by
 * every family that asks for the same preprocessing.
 */
export class FoldCache {
  private cache = new Map<string, FoldData>();
  constructor(
    private readonly data: Dataset,
    readonly folds: Split[],
  ) {}

  get(fold: number, scale: boolean): FoldData {
    const key = `${fold}:${scale}`;
    let hit = this.cache.get(key);
    if (!hit) {
      const { train, test } = this.folds[fold];
      const tr = takeDataset(this.data, train);
      const va = takeDataset(this.data, test);
      const pre = new Preprocessor({ scale });
      hit = { Xtrain: pre.fitTransform(tr.features), ytrain: tr.labels, Xval: pre.transform(va.features), yval: va.labels };
      this.cache.set(key, hit);
    }
    return hit;
  }
}
