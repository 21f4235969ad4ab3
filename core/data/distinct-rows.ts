import type { Matrix } from './matrix.js';

/** Distinct rows of X with, per row, how many training rows of each class it stands for. */
export interface DistinctRows {
  X: Matrix;
  /** rows x K, row-major. */
  counts: Float64Array;
}

/**
 * Merges identical rows (exact float equality; rows with NaN are never merged). Models whose loss
 * is a sum over rows (logistic regression, nearest neighbours) train on the merged rows exactly.
 */
export function distinctRows(X: Matrix, y: Int32Array, K: number): DistinctRows {
  const ids = new Map<string, number>();
  const keep: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < X.rows; i++) {
    const row = X.data.subarray(i * X.cols, (i + 1) * X.cols);
    const key = row.some(Number.isNaN) ? `#${i}` : row.join(',');
    let id = ids.get(key);
    if (id === undefined) {
      id = keep.length;
      ids.set(key, id);
      keep.push(i);
      for (let k = 0; k < K; k++) counts.push(0);
    }
    counts[id * K + y[i]]++;
  }
  const data = new Float32Array(keep.length * X.cols);
  keep.forEach((r, j) => data.set(X.data.subarray(r * X.cols, (r + 1) * X.cols), j * X.cols));
  return { X: { data, rows: keep.length, cols: X.cols }, counts: Float64Array.from(counts) };
}
