/**
 * How well a threat score's values match the rate of threats: Brier score, expected calibration
 * error and the reliability curve (equal-width bins over [0, 1]).
 */

/** Mean squared difference between the score and the outcome (0 or 1). */
export function brierScore(isThreat: ArrayLike<number>, score: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < score.length; i++) s += (score[i] - (isThreat[i] ? 1 : 0)) ** 2;
  return score.length ? s / score.length : NaN;
}

export interface ReliabilityBin {
  /** Bin bounds: [lo, hi), the last bin closed. */
  lo: number;
  hi: number;
  rows: number;
  meanScore: number;
  threatRate: number;
}

/** Rows per equal-width score bin with their mean score and observed threat rate; empty bins are left out. */
export function reliabilityCurve(isThreat: ArrayLike<number>, score: ArrayLike<number>, bins = 15): ReliabilityBin[] {
  const rows = new Float64Array(bins);
  const sums = new Float64Array(bins);
  const hits = new Float64Array(bins);
  for (let i = 0; i < score.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(score[i] * bins)));
    rows[b]++;
    sums[b] += score[i];
    if (isThreat[i]) hits[b]++;
  }
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) if (rows[b]) out.push({ lo: b / bins, hi: (b + 1) / bins, rows: rows[b], meanScore: sums[b] / rows[b], threatRate: hits[b] / rows[b] });
  return out;
}

/** Expected calibration error: the row-weighted mean |mean score - threat rate| over `bins` equal-width bins (default 15). */
export function expectedCalibrationError(isThreat: ArrayLike<number>, score: ArrayLike<number>, bins = 15): number {
  let e = 0;
  for (const b of reliabilityCurve(isThreat, score, bins)) e += b.rows * Math.abs(b.meanScore - b.threatRate);
  return score.length ? e / score.length : NaN;
}
