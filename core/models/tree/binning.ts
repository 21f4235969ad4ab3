import type { Matrix } from '../../data/matrix.js';
import { Rng } from '../../data/rng.js';

/** Column-major bin codes: `codes[f * rows + i]` is row i's bin for feature f. */
export interface BinnedMatrix {
  codes: Uint8Array;
  rows: number;
  cols: number;
  /** Bins per feature (edges.length + 1). */
  nBins: Int32Array;
}

/**
 * Per-feature bin edges like LightGBM / sklearn's HistGradientBoosting: every distinct value gets
 * its own bin when there are at most `maxBins`, else quantile edges. Bin b holds
 * edges[b-1] < x <= edges[b]; a split "bin <= b" is the raw test "x <= edges[b]". NaN goes to bin 0.
 */
export class Binner {
  constructor(readonly edges: Float64Array[]) {}

  static fit(X: Matrix, maxBins = 255, seed = 0, sampleRows = 200_000): Binner {
    if (maxBins < 2 || maxBins > 256) throw new RangeError('maxBins must be in [2, 256]');
    const rows = X.rows <= sampleRows ? null : new Rng(seed).shuffle(Int32Array.from({ length: X.rows }, (_, i) => i)).subarray(0, sampleRows);
    const n = rows ? rows.length : X.rows;
    const edges: Float64Array[] = [];
    const col = new Float64Array(n);
    for (let f = 0; f < X.cols; f++) {
      let m = 0;
      for (let i = 0; i < n; i++) {
        const v = X.data[(rows ? rows[i] : i) * X.cols + f];
        if (!Number.isNaN(v)) col[m++] = v;
      }
      edges.push(edgesFor(col.subarray(0, m).sort(), maxBins));
    }
    return new Binner(edges);
  }

  transform(X: Matrix): BinnedMatrix {
    const { rows, cols } = X;
    const codes = new Uint8Array(rows * cols);
    for (let f = 0; f < cols; f++) {
      const e = this.edges[f];
      const out = codes.subarray(f * rows, (f + 1) * rows);
      for (let i = 0; i < rows; i++) out[i] = binOf(e, X.data[i * cols + f]);
    }
    return { codes, rows, cols, nBins: Int32Array.from(this.edges, (e) => e.length + 1) };
  }
}

function binOf(edges: Float64Array, v: number): number {
  if (!(v > edges[0])) return 0; // also NaN
  let lo = 1;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function edgesFor(sorted: Float64Array, maxBins: number): Float64Array {
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]);
  if (distinct.length <= 1) return new Float64Array([distinct.length ? distinct[0] : 0]);
  if (distinct.length <= maxBins) {
    return Float64Array.from(distinct.slice(0, -1), (v, i) => (v + distinct[i + 1]) / 2);
  }
  const out: number[] = [];
  for (let b = 1; b < maxBins; b++) {
    const q = sorted[Math.floor((b * sorted.length) / maxBins)];
    if (!out.length || q > out[out.length - 1]) out.push(q);
  }
  if (out[out.length - 1] >= sorted[sorted.length - 1]) out.pop();
  return Float64Array.from(out);
}
