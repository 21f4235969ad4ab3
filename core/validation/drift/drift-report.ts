import { takeRows, type Column, type Frame } from '../../data/frame.js';
import { Rng } from '../../data/rng.js';
import { chiSquareHomogeneity } from './chi-square.js';
import { jensenShannon, psi, wasserstein } from './distances.js';
import { ks2Sample } from './ks.js';

export type DriftTest = 'ks' | 'chisquare' | 'wasserstein' | 'jensenshannon' | 'psi';

export interface DriftOptions {
  /** `auto` chooses as Evidently does: KS / chi-square for small references, normed Wasserstein / Jensen-Shannon beyond. */
  test?: 'auto' | DriftTest;
  /** Reference rows up to which the statistical tests are used. Default 1000. */
  smallReference?: number;
  /** Overrides the test's default threshold (p-value 0.05 for tests, 0.1 for distances and PSI). */
  threshold?: number;
  /** Share of drifted columns that makes the dataset drifted. Default 0.5. */
  datasetShare?: number;
  /** Numeric columns with at most this many distinct reference values are compared as categories. Default 5. */
  maxCategoricalValues?: number;
  /** Histogram bins shown for continuous columns. Default 10. */
  bins?: number;
  /**
   * Rows compared per side at most: a larger side is replaced by a seeded uniform sample, so the
   * report costs the same at 1M rows as at 100k (a distance on 100k sampled rows moves by about
   * 1/sqrt(100k) of the full one). Default 100,000.
   */
  maxRows?: number;
  /** Seed of that sample. Default 42. */
  seed?: number;
}

export interface Histogram {
  /** Bin labels: category names, or bin lower edges for continuous columns. */
  labels: string[];
  reference: number[];
  current: number[];
}

export interface ColumnDrift {
  column: string;
  /** How the column was compared. */
  type: 'continuous' | 'categorical';
  test: DriftTest;
  /** p-value for ks / chisquare, distance for the others. */
  score: number;
  threshold: number;
  drifted: boolean;
  histogram: Histogram;
}

export interface DriftReport {
  referenceRows: number;
  currentRows: number;
  /** Rows each side was compared on (below the row counts when sampled; see DriftOptions.maxRows). */
  comparedRows: { reference: number; current: number };
  columns: ColumnDrift[];
  driftedColumns: number;
  share: number;
  datasetShare: number;
  drifted: boolean;
}

const P_VALUE_TESTS = new Set<DriftTest>(['ks', 'chisquare']);

/** Compares each column of `current` with the same column of `reference` and gives a verdict per column and for the dataset. */
export function driftReport(fullReference: Frame, fullCurrent: Frame, opts: DriftOptions = {}): DriftReport {
  const rng = new Rng(opts.seed ?? 42);
  const reference = sampled(fullReference, opts.maxRows ?? 100_000, rng);
  const current = sampled(fullCurrent, opts.maxRows ?? 100_000, rng);
  const small = reference.nRows <= (opts.smallReference ?? 1000);
  const columns = reference.columns.map((ref) => {
    const cur = current.columns.find((c) => c.name === ref.name);
    if (!cur) throw new Error(`drift: current data has no column ${ref.name}`);
    return columnDrift(ref, cur, small, opts);
  });
  const driftedColumns = columns.filter((c) => c.drifted).length;
  const share = columns.length ? driftedColumns / columns.length : 0;
  const datasetShare = opts.datasetShare ?? 0.5;
  return {
    referenceRows: fullReference.nRows,
    currentRows: fullCurrent.nRows,
    comparedRows: { reference: reference.nRows, current: current.nRows },
    columns,
    driftedColumns,
    share,
    datasetShare,
    drifted: share >= datasetShare,
  };
}

/** `frame`, or a seeded uniform sample of `max` of its rows (in row order). */
function sampled(frame: Frame, max: number, rng: Rng): Frame {
  if (frame.nRows <= max) return frame;
  const idx = rng.shuffle(Int32Array.from({ length: frame.nRows }, (_, i) => i)).subarray(0, max).sort();
  return takeRows(frame, idx);
}

function columnDrift(ref: Column, cur: Column, small: boolean, opts: DriftOptions): ColumnDrift {
  const counts = categoryCounts(ref, cur, opts.maxCategoricalValues ?? 5);
  const type = counts ? 'categorical' : 'continuous';
  const test: DriftTest = opts.test && opts.test !== 'auto' ? opts.test : small ? (counts ? 'chisquare' : 'ks') : counts ? 'jensenshannon' : 'wasserstein';
  const threshold = opts.threshold ?? (P_VALUE_TESTS.has(test) ? 0.05 : 0.1);
  const histogram = counts ?? continuousHistogram(values(ref), values(cur), opts.bins ?? 10);
  const score = scoreOf(test, ref, cur, histogram);
  const drifted = P_VALUE_TESTS.has(test) ? score < threshold : score >= threshold;
  return { column: ref.name, type, test, score, threshold, drifted, histogram };
}

function scoreOf(test: DriftTest, ref: Column, cur: Column, h: Histogram): number {
  switch (test) {
    case 'ks':
      return ks2Sample(values(ref), values(cur)).pValue;
    case 'chisquare':
      return chiSquareHomogeneity(h.reference, h.current).pValue;
    case 'wasserstein': {
      const r = values(ref);
      const sd = std(r);
      return wasserstein(r, values(cur)) / (sd > 0 ? sd : 1);
    }
    case 'jensenshannon':
      return jensenShannon(h.reference, h.current);
    case 'psi':
      return psi(h.reference, h.current);
  }
}

function values(col: Column): Float64Array {
  return col.kind === 'numeric' ? col.values : Float64Array.from(col.codes, (c) => (c < 0 ? NaN : c));
}

function std(x: Float64Array): number {
  let n = 0;
  let sum = 0;
  for (const a of x) {
    if (Number.isNaN(a)) continue;
    n++;
    sum += a;
  }
  const m = sum / n;
  let ss = 0;
  for (const a of x) if (!Number.isNaN(a)) ss += (a - m) ** 2;
  return Math.sqrt(ss / n);
}

/** Counts per category, or null when the column is continuous (numeric with many distinct values). */
function categoryCounts(ref: Column, cur: Column, maxValues: number): Histogram | null {
  if (ref.kind === 'categorical' && cur.kind === 'categorical') {
    const labels = [...new Set([...ref.categories, ...cur.categories])];
    const count = (c: typeof ref) => {
      const out = new Array<number>(labels.length).fill(0);
      const at = c.categories.map((name) => labels.indexOf(name));
      for (const code of c.codes) if (code >= 0) out[at[code]]++;
      return out;
    };
    return { labels, reference: count(ref), current: count(cur) };
  }
  const r = values(ref);
  // Stops at the first value past maxValues: a continuous column costs a few cells, not a Set of all.
  const distinct = new Set<number>();
  for (const v of r) {
    if (Number.isNaN(v)) continue;
    distinct.add(v);
    if (distinct.size > maxValues) return null;
  }
  const c = values(cur);
  for (const v of c) if (!Number.isNaN(v)) distinct.add(v);
  const keys = [...distinct].sort((a, b) => a - b);
  const count = (x: Float64Array) => {
    const out = new Array<number>(keys.length).fill(0);
    for (const v of x) if (!Number.isNaN(v)) out[keys.indexOf(v)]++;
    return out;
  };
  return { labels: keys.map(String), reference: count(r), current: count(c) };
}

/** Equal-width bins over the combined range of both samples. */
function continuousHistogram(r: Float64Array, c: Float64Array, bins: number): Histogram {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of [r, c]) for (const v of x) if (!Number.isNaN(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  const width = hi > lo ? (hi - lo) / bins : 1;
  const count = (x: Float64Array) => {
    const out = new Array<number>(bins).fill(0);
    for (const v of x) if (!Number.isNaN(v)) out[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
    return out;
  };
  return { labels: Array.from({ length: bins }, (_, b) => String(lo + b * width)), reference: count(r), current: count(c) };
}
