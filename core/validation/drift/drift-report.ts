import { takeRows, type Column, type Frame } from '../../data/frame.js';
import { Rng } from '../../data/rng.js';
import { chiSquareHomogeneity } from './chi-square.js';
import { jensenShannon, psi, wassersteinSorted } from './distances.js';
import { ks2SampleSorted } from './ks.js';
import { sortFloat64 } from './radix-sort.js';

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

/**
 * A reference prepared once for many comparisons (a served model's training rows, compared with
 * every monitor window): numeric columns sorted without NaN, with their standard deviation;
 * categorical columns as counts. A window then sorts only its own columns.
 */
export interface PreparedReference {
  prepared: true;
  nRows: number;
  columns: PreparedColumn[];
}

export type PreparedColumn =
  | { kind: 'numeric'; name: string; sorted: Float64Array; std: number }
  | { kind: 'categorical'; name: string; categories: string[]; counts: number[] };

/** Compares each column of `current` with the same column of `reference` and gives a verdict per column and for the dataset. */
export function driftReport(fullReference: Frame, fullCurrent: Frame, opts: DriftOptions = {}): DriftReport {
  const rng = new Rng(opts.seed ?? 42);
  const reference = sampled(fullReference, opts.maxRows ?? 100_000, rng);
  const current = sampled(fullCurrent, opts.maxRows ?? 100_000, rng);
  const report = preparedDriftReport(prepareReference(reference), current, opts);
  return { ...report, referenceRows: fullReference.nRows, currentRows: fullCurrent.nRows };
}

/** The reference's columns sorted or counted, once (see PreparedReference). */
export function prepareReference(reference: Frame): PreparedReference {
  return {
    prepared: true,
    nRows: reference.nRows,
    columns: reference.columns.map((c): PreparedColumn => {
      if (c.kind === 'categorical') return { kind: 'categorical', name: c.name, categories: c.categories, counts: countCodes(c.codes, c.categories.length) };
      return { kind: 'numeric', name: c.name, sorted: sortedValues(c), std: std(c.values) };
    }),
  };
}

/**
 * driftReport against a prepared reference: each current column is sorted once (a typed-array
 * sort, no comparator) and compared by merging; categorical and few-valued columns are counted.
 * `current` is sampled to `maxRows` as driftReport does; the reference is taken whole.
 */
export function preparedDriftReport(reference: PreparedReference, fullCurrent: Frame, opts: DriftOptions = {}): DriftReport {
  const rng = new Rng(opts.seed ?? 42);
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
    referenceRows: reference.nRows,
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

/** A column compared as sorted values (numeric, or categorical codes when a value test is forced on one). */
interface Sides {
  ref: Float64Array;
  cur: Float64Array;
}

function columnDrift(ref: PreparedColumn, cur: Column, small: boolean, opts: DriftOptions): ColumnDrift {
  let counts: Histogram | null;
  let sides: () => Sides;
  if (ref.kind === 'categorical') {
    if (cur.kind !== 'categorical') throw new Error(`drift: column ${ref.name} is categorical in the reference and numeric in the current data`);
    counts = categoryCounts(ref, cur);
    sides = () => ({ ref: expandCounts(counts!.reference), cur: expandCounts(counts!.current) });
  } else {
    const curSorted = sortedValues(cur);
    counts = fewValueCounts(ref.sorted, curSorted, opts.maxCategoricalValues ?? 5);
    sides = () => ({ ref: ref.sorted, cur: curSorted });
  }
  const type = counts ? 'categorical' : 'continuous';
  const test: DriftTest = opts.test && opts.test !== 'auto' ? opts.test : small ? (counts ? 'chisquare' : 'ks') : counts ? 'jensenshannon' : 'wasserstein';
  const threshold = opts.threshold ?? (P_VALUE_TESTS.has(test) ? 0.05 : 0.1);
  const histogram = counts ?? continuousHistogram(sides().ref, sides().cur, opts.bins ?? 10);
  let score: number;
  switch (test) {
    case 'ks':
      score = ks2SampleSorted(sides().ref, sides().cur).pValue;
      break;
    case 'wasserstein': {
      const { ref: r, cur: c } = sides();
      const sd = ref.kind === 'numeric' ? ref.std : std(r);
      score = wassersteinSorted(r, c) / (sd > 0 ? sd : 1);
      break;
    }
    case 'chisquare':
      score = chiSquareHomogeneity(histogram.reference, histogram.current).pValue;
      break;
    case 'jensenshannon':
      score = jensenShannon(histogram.reference, histogram.current);
      break;
    case 'psi':
      score = psi(histogram.reference, histogram.current);
      break;
  }
  const drifted = P_VALUE_TESTS.has(test) ? score < threshold : score >= threshold;
  return { column: ref.name, type, test, score, threshold, drifted, histogram };
}

/** A column's values sorted ascending without NaN (categorical: codes, missing dropped). */
function sortedValues(col: Column): Float64Array {
  if (col.kind === 'categorical') return Float64Array.from(col.codes.filter((c) => c >= 0)).sort();
  // A plain loop: a typed array's filter calls a function per value (a third of a 100k-row window's report).
  const v = col.values;
  const out = new Float64Array(v.length);
  let k = 0;
  for (let i = 0; i < v.length; i++) if (v[i] === v[i]) out[k++] = v[i];
  return sortFloat64(k === v.length ? out : out.slice(0, k));
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

function countCodes(codes: Int32Array, k: number): number[] {
  const out = new Array<number>(k).fill(0);
  for (const code of codes) if (code >= 0 && code < k) out[code]++;
  return out;
}

/** Sorted values 0, 0, 1, ... k-1 with counts[k] copies of k (a categorical column's codes, sorted). */
function expandCounts(counts: number[]): Float64Array {
  const out = new Float64Array(counts.reduce((s, c) => s + c, 0));
  let at = 0;
  counts.forEach((c, k) => out.fill(k, at, (at += c)));
  return out;
}

/** Counts per category name over both sides' category lists. */
function categoryCounts(ref: Extract<PreparedColumn, { kind: 'categorical' }>, cur: Extract<Column, { kind: 'categorical' }>): Histogram {
  const labels = [...new Set([...ref.categories, ...cur.categories])];
  const index = new Map(labels.map((l, i) => [l, i]));
  const reference = new Array<number>(labels.length).fill(0);
  ref.categories.forEach((name, k) => (reference[index.get(name)!] += ref.counts[k]));
  const current = new Array<number>(labels.length).fill(0);
  const curCounts = countCodes(cur.codes, cur.categories.length);
  cur.categories.forEach((name, k) => (current[index.get(name)!] += curCounts[k]));
  return { labels, reference, current };
}

/** The distinct values of a sorted array and their counts; null past `max` values. */
function runs(sorted: Float64Array, max: number): { values: number[]; counts: number[] } | null {
  const values: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < sorted.length; ) {
    if (values.length === max) return null;
    let j = i + 1;
    while (j < sorted.length && sorted[j] === sorted[i]) j++;
    values.push(sorted[i]);
    counts.push(j - i);
    i = j;
  }
  return { values, counts };
}

/**
 * Counts per value when the reference holds at most `maxValues` distinct values (a ternary flag),
 * over the values of both sides; null when the column is continuous. Sorted inputs: one merge.
 */
function fewValueCounts(ref: Float64Array, cur: Float64Array, maxValues: number): Histogram | null {
  const r = runs(ref, maxValues);
  if (!r) return null;
  // The current side may hold many values (a drifted column): its runs are unbounded, but one pass.
  const c = runs(cur, Infinity)!;
  const keys: number[] = [];
  const reference: number[] = [];
  const current: number[] = [];
  let i = 0;
  let j = 0;
  while (i < r.values.length || j < c.values.length) {
    const v = Math.min(i < r.values.length ? r.values[i] : Infinity, j < c.values.length ? c.values[j] : Infinity);
    keys.push(v);
    reference.push(i < r.values.length && r.values[i] === v ? r.counts[i++] : 0);
    current.push(j < c.values.length && c.values[j] === v ? c.counts[j++] : 0);
  }
  return { labels: keys.map(String), reference, current };
}

/** Equal-width bins over the combined range of both samples (sorted, without NaN). */
function continuousHistogram(r: Float64Array, c: Float64Array, bins: number): Histogram {
  const lo = Math.min(r.length ? r[0] : Infinity, c.length ? c[0] : Infinity);
  const hi = Math.max(r.length ? r[r.length - 1] : -Infinity, c.length ? c[c.length - 1] : -Infinity);
  const width = hi > lo ? (hi - lo) / bins : 1;
  const count = (x: Float64Array) => {
    const out = new Array<number>(bins).fill(0);
    for (const v of x) out[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
    return out;
  };
  return { labels: Array.from({ length: bins }, (_, b) => String(lo + b * width)), reference: count(r), current: count(c) };
}
