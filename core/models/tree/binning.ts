import type { Matrix } from '../../data/matrix.js';
import { Rng } from '../../data/rng.js';
import type { CategoricalFeature } from '../../transform/feature-encoder.js';

/** Column-major bin codes: `codes[f * rows + i]` is row i's bin for feature f. */
export interface BinnedMatrix {
  codes: Uint8Array;
  rows: number;
  cols: number;
  /** Bins per feature (edges.length + 1, or a categorical feature's bins). */
  nBins: Int32Array;
  /** 1 where the feature is categorical (its bins are unordered). */
  categorical: Uint8Array;
}

/** A categorical feature's bins: 0 missing, 1..kept categories, last = rare and unknown categories. */
export interface CategoryBins {
  /** Bin of each category code. */
  binOf: Uint8Array;
  /** The bin of rare categories and of codes outside the fitted dictionary. */
  other: number;
}

/** Categories with fewer training rows than this share the "other" bin (as LightGBM's min_data_per_group, smaller). */
export const MIN_CATEGORY_ROWS = 10;

/**
 * Bins of a categorical column of codes (NATIVE_MISSING -1: missing; -2, NaN or any code outside
 * [0, categories): unknown). Bin 0 holds missing values; the most frequent categories with at
 * least MIN_CATEGORY_ROWS rows get one bin each (at most maxBins - 2 of them, so codes fit a
 * uint8); the rest, and unknown codes at scoring time, share the last bin.
 */
export function fitCategoryBins(values: ArrayLike<number>, categories: number, maxBins: number): CategoryBins {
  const counts = new Float64Array(categories);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v >= 0 && v < categories && v === Math.floor(v)) counts[v]++;
  }
  const order = Array.from({ length: categories }, (_, c) => c).filter((c) => counts[c] >= MIN_CATEGORY_ROWS);
  order.sort((a, b) => counts[b] - counts[a] || a - b);
  const kept = order.slice(0, maxBins - 2).sort((a, b) => a - b);
  const other = kept.length + 1;
  const binOf = new Uint8Array(categories).fill(other);
  kept.forEach((c, i) => (binOf[c] = i + 1));
  return { binOf, other };
}

/** A categorical value's bin (see fitCategoryBins); NaN counts as unknown, as in Forest's ranks. */
export function categoryBin(bins: CategoryBins, v: number): number {
  if (v === -1) return 0;
  return v >= 0 && v < bins.binOf.length && v === Math.floor(v) ? bins.binOf[v] : bins.other;
}

/**
 * Per-feature bin edges like LightGBM / sklearn's HistGradientBoosting: every distinct value gets
 * its own bin when there are at most `maxBins`, else quantile edges. Bin b holds
 * edges[b-1] < x <= edges[b]; a split "bin <= b" is the raw test "x <= edges[b]". NaN goes to bin 0.
 */
export class Binner {
  /**
   * @param edges per feature (empty for a categorical feature)
   * @param categories per feature, its category bins when categorical
   */
  constructor(
    readonly edges: Float64Array[],
    readonly categories: (CategoryBins | null)[] = edges.map(() => null),
  ) {}

  /** `categorical`: columns of category codes, binned by category (see fitCategoryBins). */
  static fit(X: Matrix, maxBins = 255, seed = 0, sampleRows = 200_000, categorical: CategoricalFeature[] = []): Binner {
    if (maxBins < 2 || maxBins > 256) throw new RangeError('maxBins must be in [2, 256]');
    const rows = X.rows <= sampleRows ? null : new Rng(seed).shuffle(Int32Array.from({ length: X.rows }, (_, i) => i)).subarray(0, sampleRows);
    const n = rows ? rows.length : X.rows;
    const edges: Float64Array[] = [];
    const cats: (CategoryBins | null)[] = [];
    const col = new Float64Array(n);
    for (let f = 0; f < X.cols; f++) {
      const cat = categorical.find((c) => c.column === f);
      if (cat) {
        // Every row counts: a category's bin must not depend on the sample.
        const all = new Float64Array(X.rows);
        for (let i = 0; i < X.rows; i++) all[i] = X.data[i * X.cols + f];
        edges.push(new Float64Array(0));
        cats.push(fitCategoryBins(all, cat.categories, maxBins));
        continue;
      }
      let m = 0;
      for (let i = 0; i < n; i++) {
        const v = X.data[(rows ? rows[i] : i) * X.cols + f];
        if (!Number.isNaN(v)) col[m++] = v;
      }
      edges.push(edgesFor(col.subarray(0, m).sort(), maxBins));
      cats.push(null);
    }
    return new Binner(edges, cats);
  }

  transform(X: Matrix): BinnedMatrix {
    const { rows, cols } = X;
    const codes = new Uint8Array(rows * cols);
    for (let f = 0; f < cols; f++) {
      const e = this.edges[f];
      const cat = this.categories[f];
      const out = codes.subarray(f * rows, (f + 1) * rows);
      if (cat) for (let i = 0; i < rows; i++) out[i] = categoryBin(cat, X.data[i * cols + f]);
      else for (let i = 0; i < rows; i++) out[i] = binOf(e, X.data[i * cols + f]);
    }
    return {
      codes,
      rows,
      cols,
      nBins: Int32Array.from(this.edges, (e, f) => (this.categories[f] ? this.categories[f].other + 1 : e.length + 1)),
      categorical: Uint8Array.from(this.categories, (c) => (c ? 1 : 0)),
    };
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
