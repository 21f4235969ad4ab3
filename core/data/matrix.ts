/** Row-major numeric design matrix (features after encoding); NaN marks a missing value. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
  /** Whether `data` holds NaN, when the producer knows (saves a scan). */
  hasMissing?: boolean;
}

/** Matrices at least this big live in shared memory, so worker threads can read them without a copy. */
export const SHARED_MIN_VALUES = 1 << 18;

/** A zeroed float32 buffer, in shared memory when big. */
export function allocFloat32(n: number): Float32Array {
  return n >= SHARED_MIN_VALUES ? new Float32Array(new SharedArrayBuffer(4 * n)) : new Float32Array(n);
}

export function hasNaN(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] !== data[i]) return true;
  return false;
}

export function matrix(rows: number, cols: number, data = new Float32Array(rows * cols)): Matrix {
  if (data.length !== rows * cols) throw new RangeError(`matrix data has ${data.length} values, expected ${rows}x${cols}`);
  return { data, rows, cols };
}

/** The rows `idx` of `m`, in that order. */
export function takeMatrixRows(m: Matrix, idx: ArrayLike<number>): Matrix {
  const out = new Float32Array(idx.length * m.cols);
  for (let i = 0; i < idx.length; i++) out.set(m.data.subarray(idx[i] * m.cols, (idx[i] + 1) * m.cols), i * m.cols);
  return { data: out, rows: idx.length, cols: m.cols };
}

export function takeLabels(y: Int32Array, idx: ArrayLike<number>): Int32Array {
  const out = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = y[idx[i]];
  return out;
}

/** Builds a matrix from nested rows (tests, small request bodies). */
export function fromRows(rows: ArrayLike<number>[]): Matrix {
  const cols = rows.length ? rows[0].length : 0;
  const data = new Float32Array(rows.length * cols);
  rows.forEach((r, i) => data.set(Array.from(r), i * cols));
  return { data, rows: rows.length, cols };
}

/** Mean of each column over its non-missing values (0 for a column missing everywhere). */
export function columnMeans(X: Matrix): Float64Array {
  return meansOf(addColumnSums(X, new Float64Array(X.cols), new Float64Array(X.cols)));
}

/**
 * Adds X's non-missing values to per-column sums and counts; row blocks added in order give the
 * same sums as the whole matrix (`columnMeans` without holding every row at once).
 */
export function addColumnSums(X: Matrix, sum: Float64Array, n: Float64Array): { sum: Float64Array; n: Float64Array } {
  for (let i = 0; i < X.data.length; i++) {
    const v = X.data[i];
    if (v === v) {
      sum[i % X.cols] += v;
      n[i % X.cols]++;
    }
  }
  return { sum, n };
}

export function meansOf({ sum, n }: { sum: Float64Array; n: Float64Array }): Float64Array {
  return sum.map((s, c) => (n[c] ? s / n[c] : 0));
}
