import type { Matrix } from './matrix.js';

/** Distinct rows of X with, per row, how many training rows of each class it stands for. */
export interface DistinctRows {
  X: Matrix;
  /** rows x K, row-major. */
  counts: Float64Array;
}

/** FNV-1a over a row's float32 bits, with -0 hashed as 0 (they are equal, so they merge). */
function rowHash(bits: Uint32Array, from: number, cols: number): number {
  let h = 0x811c9dc5;
  for (let c = 0; c < cols; c++) {
    const b = bits[from + c];
    h = Math.imul(h ^ (b === 0x80000000 ? 0 : b), 0x01000193);
  }
  return h >>> 0;
}

function sameRow(data: Float32Array, a: number, b: number, cols: number): boolean {
  for (let c = 0; c < cols; c++) if (data[a + c] !== data[b + c]) return false;
  return true;
}

function hasNaN(data: Float32Array, from: number, cols: number): boolean {
  for (let c = 0; c < cols; c++) if (data[from + c] !== data[from + c]) return true;
  return false;
}

/**
 * Merges identical rows (exact float equality; rows with NaN are never merged); when no two rows
 * are equal, the result's X is the input matrix itself (callers only read it). Models whose loss
 * is a sum over rows (logistic regression, nearest neighbours) train on the merged rows exactly.
 * Rows are found by hashing their values into an open-addressing table of row numbers: a text key
 * per row took gigabytes at a million rows of a few hundred columns.
 */
export function distinctRows(X: Matrix, y: Int32Array, K: number): DistinctRows {
  const { rows, cols, data } = X;
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let size = 16;
  while (size < rows * 2) size *= 2;
  const table = new Int32Array(size).fill(-1); // distinct id in each slot
  const keep = new Int32Array(rows); // distinct id -> its first row
  const idOf = new Int32Array(rows);
  let distinct = 0;
  for (let i = 0; i < rows; i++) {
    const from = i * cols;
    if (!hasNaN(data, from, cols)) {
      let slot = rowHash(bits, from, cols) & (size - 1);
      while (table[slot] >= 0 && !sameRow(data, keep[table[slot]] * cols, from, cols)) slot = (slot + 1) & (size - 1);
      if (table[slot] >= 0) {
        idOf[i] = table[slot];
        continue;
      }
      table[slot] = distinct;
    }
    keep[distinct] = i;
    idOf[i] = distinct++;
  }
  const counts = new Float64Array(distinct * K);
  for (let i = 0; i < rows; i++) counts[idOf[i] * K + y[i]]++;
  // Nothing merged: X itself, not a copy (a million rows of a few hundred columns is a gigabyte).
  if (distinct === rows) return { X, counts };
  const out = new Float32Array(distinct * cols);
  for (let j = 0; j < distinct; j++) out.set(data.subarray(keep[j] * cols, (keep[j] + 1) * cols), j * cols);
  return { X: { data: out, rows: distinct, cols }, counts };
}
