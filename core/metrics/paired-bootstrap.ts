import { Rng } from '../data/rng.js';
import { weightedScorer, type PromotionMetric } from './weighted-metrics.js';

export interface PairedBootstrapOptions {
  /** Resamples drawn. Default 1,000. */
  resamples?: number;
  /** One-sided confidence of the lower bound. Default 0.95. */
  confidence?: number;
  /** Every draw derives from it. Default 0. */
  seed?: number;
  /**
   * Rows the resampling works on. Above it a seeded subsample of this many rows is resampled and
   * its spread scaled by sqrt(m / n) (the m-out-of-n bootstrap), so the cost is bounded: about
   * resamples x maxRows x 3 steps, whatever the test set. Default 20,000.
   */
  maxRows?: number;
}

export interface PairedBootstrapResult {
  /** candidate - champion on all the rows given. */
  difference: number;
  candidate: number;
  champion: number;
  /** Lower bound of the one-sided interval of the difference (NaN when the metric is undefined too often). */
  lower: number;
  confidence: number;
  resamples: number;
  rows: number;
  /** Rows the resamples were drawn from (`rows`, or the subsample when above `maxRows`). */
  resampledRows: number;
}

/**
 * Paired bootstrap of `metric(candidate) - metric(champion)` over the same rows: each resample
 * draws rows with replacement (as counts per row) and recomputes both metrics on them, so F1 and
 * ROC-AUC, which are not sums over rows, get an honest interval. Percentile interval.
 */
export function pairedBootstrap(
  metric: PromotionMetric,
  yTrue: Int32Array,
  candidateProba: Float64Array,
  championProba: Float64Array,
  K: number,
  positive: number,
  opts: PairedBootstrapOptions = {},
): PairedBootstrapResult {
  const { resamples = 1000, confidence = 0.95, seed = 0, maxRows = 20_000 } = opts;
  const n = yTrue.length;
  const ones = new Float64Array(n).fill(1);
  const candidate = weightedScorer(metric, yTrue, candidateProba, K, positive).score(ones);
  const champion = weightedScorer(metric, yTrue, championProba, K, positive).score(ones);
  const difference = candidate - champion;
  const base = { difference, candidate, champion, confidence, resamples, rows: n };
  if (!n || !resamples || Number.isNaN(difference)) return { ...base, lower: NaN, resampledRows: 0 };
  const rng = new Rng(seed);
  const m = Math.min(n, maxRows);
  const sub = m < n ? subsample(n, m, rng) : undefined;
  const take = (p: Float64Array) => (sub ? probaRows(p, K, sub) : p);
  const y = sub ? Int32Array.from(sub, (i) => yTrue[i]) : yTrue;
  const c = weightedScorer(metric, y, take(candidateProba), K, positive);
  const p = weightedScorer(metric, y, take(championProba), K, positive);
  const w = new Float64Array(m).fill(1);
  const centre = c.score(w) - p.score(w);
  const scale = Math.sqrt(m / n);
  const deviations = new Float64Array(resamples);
  let kept = 0;
  for (let b = 0; b < resamples; b++) {
    w.fill(0);
    for (let j = 0; j < m; j++) w[rng.int(m)]++;
    const d = c.score(w) - p.score(w);
    if (!Number.isNaN(d)) deviations[kept++] = (d - centre) * scale;
  }
  // A metric undefined in most resamples (one class nearly absent) gives no usable interval.
  if (kept < resamples / 2) return { ...base, lower: NaN, resampledRows: m };
  const sorted = deviations.subarray(0, kept).sort();
  const lower = difference + sorted[Math.min(kept - 1, Math.floor((1 - confidence) * kept))];
  return { ...base, lower, resampledRows: m };
}

/** m distinct row indices of n, ascending (a seeded partial Fisher-Yates over n indices). */
function subsample(n: number, m: number, rng: Rng): Int32Array {
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx.slice(0, m).sort();
}

/** The probability rows `rows` (rows x K). */
export function probaRows(proba: Float64Array, K: number, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length * K);
  for (let r = 0; r < rows.length; r++) for (let k = 0; k < K; k++) out[r * K + k] = proba[rows[r] * K + k];
  return out;
}
