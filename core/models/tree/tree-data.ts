import type { Matrix } from '../../data/matrix.js';
import type { CategoricalFeature } from '../../transform/feature-encoder.js';
import { Binner, type BinnedMatrix } from './binning.js';

/** Training rows binned and with exact duplicates (same bins, same class) merged into weights. */
export interface TreeData {
  binner: Binner;
  X: BinnedMatrix;
  y: Int32Array;
  weight: Float64Array;
  /** For each original row, its merged row. */
  merged: Int32Array;
}

/**
 * Bins X and merges duplicate (row, class) pairs. Trees see identical rows identically, so the
 * merge is exact for trees and boosting and shrinks work on data with many repeated records
 * (the phishing set has 5,849 distinct of 11,055).
 */
export function prepareTreeData(X: Matrix, y: Int32Array, maxBins = 255, categorical: CategoricalFeature[] = []): TreeData {
  const binner = Binner.fit(X, maxBins, 0, 200_000, categorical);
  const full = binner.transform(X);
  const { rows, cols, codes } = full;
  const ids = new Map<string, number>();
  const merged = new Int32Array(rows);
  const keep: number[] = [];
  const weights: number[] = [];
  const key = new Array<number>(cols + 1);
  for (let i = 0; i < rows; i++) {
    for (let f = 0; f < cols; f++) key[f] = codes[f * rows + i];
    key[cols] = y[i];
    const k = String.fromCharCode.apply(null, key);
    let id = ids.get(k);
    if (id === undefined) {
      id = keep.length;
      ids.set(k, id);
      keep.push(i);
      weights.push(0);
    }
    weights[id]++;
    merged[i] = id;
  }
  const n = keep.length;
  const out = new Uint8Array(n * cols);
  for (let f = 0; f < cols; f++) for (let j = 0; j < n; j++) out[f * n + j] = codes[f * rows + keep[j]];
  return {
    binner,
    X: { codes: out, rows: n, cols, nBins: full.nBins, categorical: full.categorical },
    y: Int32Array.from(keep, (i) => y[i]),
    weight: Float64Array.from(weights),
    merged,
  };
}
