import { chiSquareSf } from './special.js';

export interface ChiSquareResult {
  statistic: number;
  dof: number;
  pValue: number;
}

/**
 * Pearson chi-square test of homogeneity on the 2 x k table of reference and current category
 * counts (scipy.stats.chi2_contingency without continuity correction). Categories absent from
 * both are dropped; fewer than two left means nothing to compare (p = 1).
 */
export function chiSquareHomogeneity(reference: ArrayLike<number>, current: ArrayLike<number>): ChiSquareResult {
  const keep: number[] = [];
  for (let k = 0; k < reference.length; k++) if (reference[k] + current[k] > 0) keep.push(k);
  const nr = keep.reduce((s, k) => s + reference[k], 0);
  const nc = keep.reduce((s, k) => s + current[k], 0);
  if (keep.length < 2 || nr === 0 || nc === 0) return { statistic: 0, dof: Math.max(0, keep.length - 1), pValue: 1 };
  const total = nr + nc;
  let statistic = 0;
  for (const k of keep) {
    const col = reference[k] + current[k];
    const er = (nr * col) / total;
    const ec = (nc * col) / total;
    statistic += (reference[k] - er) ** 2 / er + (current[k] - ec) ** 2 / ec;
  }
  const dof = keep.length - 1;
  return { statistic, dof, pValue: chiSquareSf(statistic, dof) };
}
