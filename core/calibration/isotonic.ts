import { scoreGroups } from '../metrics/threat-curves.js';

/**
 * Isotonic regression of outcomes on scores by pool-adjacent-violators: a non-decreasing step
 * function, stored as the blocks' score ranges and values; between blocks it interpolates linearly
 * (as scikit-learn's IsotonicRegression), outside them it holds the end values.
 */
export interface IsotonicState {
  /** Block score knots (each block's lowest and highest score), ascending. */
  x: number[];
  y: number[];
}

export function fitIsotonic(isThreat: ArrayLike<number>, score: ArrayLike<number>): IsotonicState {
  const groups = scoreGroups(isThreat, score);
  // Blocks: value sum, weight, score range. Equal scores start as one block (a step function cannot split a tie).
  const sum: number[] = [];
  const weight: number[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  for (let j = 0; j < groups.value.length; j++) {
    const s = groups.value[j];
    sum.push(groups.threats[j]);
    weight.push(groups.threats[j] + groups.others[j]);
    lo.push(s);
    hi.push(s);
    while (sum.length > 1 && sum.at(-2)! / weight.at(-2)! >= sum.at(-1)! / weight.at(-1)!) {
      const v2 = sum.pop()!;
      const w2 = weight.pop()!;
      const h2 = hi.pop()!;
      lo.pop();
      sum[sum.length - 1] += v2;
      weight[weight.length - 1] += w2;
      hi[hi.length - 1] = h2;
    }
  }
  const x: number[] = [];
  const y: number[] = [];
  for (let b = 0; b < sum.length; b++) {
    const value = sum[b] / weight[b];
    x.push(lo[b]);
    y.push(value);
    if (hi[b] !== lo[b]) {
      x.push(hi[b]);
      y.push(value);
    }
  }
  return { x, y };
}

export function applyIsotonic(s: IsotonicState, score: number): number {
  const { x, y } = s;
  if (!x.length) return score;
  if (score <= x[0]) return y[0];
  if (score >= x[x.length - 1]) return y[y.length - 1];
  let a = 0;
  let b = x.length - 1;
  while (b - a > 1) {
    const m = (a + b) >> 1;
    if (x[m] <= score) a = m;
    else b = m;
  }
  return y[a] + ((y[b] - y[a]) * (score - x[a])) / (x[b] - x[a]);
}
