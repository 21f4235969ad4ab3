import { kolmogorovSf } from './special.js';

export interface KsResult {
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
}

const sorted = (x: ArrayLike<number>) => Float64Array.from(x).filter((v) => !Number.isNaN(v)).sort();

/**
 * Two-sample Kolmogorov-Smirnov test (two-sided), as scipy.stats.ks_2samp: the exact
 * distribution when n1 * n2 <= 10,000, else the asymptotic Kolmogorov distribution of
 * sqrt(n1 n2 / (n1 + n2)) * D. NaN values are dropped.
 */
export function ks2Sample(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  return ks2SampleSorted(sorted(a), sorted(b));
}

/** ks2Sample of two samples already sorted ascending without NaN (a reference sorted once, reused per window). */
export function ks2SampleSorted(x: Float64Array, y: Float64Array): KsResult {
  const m = x.length;
  const n = y.length;
  if (!m || !n) return { statistic: NaN, pValue: NaN, method: 'asymptotic' };
  // Largest |m*F_y - n*F_x| over all values, in integers (ties advance both samples together).
  let i = 0;
  let j = 0;
  let dmn = 0;
  while (i < m || j < n) {
    const v = Math.min(i < m ? x[i] : Infinity, j < n ? y[j] : Infinity);
    while (i < m && x[i] === v) i++;
    while (j < n && y[j] === v) j++;
    dmn = Math.max(dmn, Math.abs(i * n - j * m));
  }
  const statistic = dmn / (m * n);
  if (m * n <= 10_000) return { statistic, pValue: exactPValue(m, n, dmn), method: 'exact' };
  const en = (m * n) / (m + n);
  return { statistic, pValue: kolmogorovSf(Math.sqrt(en) * statistic), method: 'asymptotic' };
}

/**
 * P(D >= d) under H0: one minus the probability that a random lattice path from (0,0) to (m,n)
 * stays strictly inside |i*n - j*m| < dmn. Walked as probabilities, not path counts, so nothing
 * overflows.
 */
function exactPValue(m: number, n: number, dmn: number): number {
  if (dmn === 0) return 1;
  let row = new Float64Array(n + 1);
  row[0] = 1;
  for (let j = 1; j <= n; j++) row[j] = Math.abs(j * m) < dmn ? row[j - 1] * ((n - j + 1) / (m + n - j + 1)) : 0;
  for (let i = 1; i <= m; i++) {
    const next = new Float64Array(n + 1);
    for (let j = 0; j <= n; j++) {
      if (Math.abs(i * n - j * m) >= dmn) continue;
      const rest = m + n - i - j + 1;
      const fromUp = row[j] * ((m - i + 1) / rest);
      const fromLeft = j > 0 ? next[j - 1] * ((n - j + 1) / rest) : 0;
      next[j] = fromUp + fromLeft;
    }
    row = next;
  }
  return Math.min(1, Math.max(0, 1 - row[n]));
}
