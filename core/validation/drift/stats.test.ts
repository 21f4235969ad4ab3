import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chiSquareHomogeneity } from './chi-square.js';
import { jensenShannon, psi, wasserstein } from './distances.js';
import { ks2Sample } from './ks.js';
import { gammaQ, kolmogorovSf } from './special.js';

// Known values from scipy 1.10.1 (Debian bookworm), noted beside each call.
describe('drift statistics', () => {
  it('computes the exact two-sample KS statistic and p-value (scipy.stats.ks_2samp)', () => {
    const a = [0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77, 1.09, -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47];
    const b = [2.2, 1.66, 1.38, 0.2, 0.36, 0.0, 0.96, 1.56, 0.44, 1.5, -0.3, 0.66, 2.31, 3.29, -0.27, -0.33, 0.94, 1.57, 1.41, 0.09, 1.58, 1.78, 0.47, 0.25];
    const r = ks2Sample(a, b);
    expect(r.method).toBe('exact');
    expect(r.statistic).toBeCloseTo(0.3383333333333333, 12);
    expect(r.pValue).toBeCloseTo(0.10103478892376974, 10);
  });

  it('uses the asymptotic Kolmogorov distribution for large samples', () => {
    const load = (f: string) => readFileSync(new URL(f, import.meta.url), 'utf8').trim().split('\n').map(Number);
    const r = ks2Sample(load('./fixtures/ks-a.txt'), load('./fixtures/ks-b.txt'));
    expect(r.method).toBe('asymptotic');
    expect(r.statistic).toBeCloseTo(0.1375, 12);
    // scipy.special.kolmogorov(sqrt(300*400/700) * 0.1375)
    expect(r.pValue).toBeCloseTo(0.0030610549113144125, 8);
  });

  it('evaluates the Kolmogorov survival function and the regularised gamma Q', () => {
    const kolm: [number, number][] = [
      [0.2, 0.999999999999495],
      [0.5, 0.9639452436648751],
      [1.0, 0.26999967167735456],
      [1.36, 0.049485876755377876],
      [2.0, 0.0006709252557796953],
    ];
    for (const [t, v] of kolm) expect(kolmogorovSf(t)).toBeCloseTo(v, 10);
    expect(gammaQ(2.5, 3.7)).toBeCloseTo(0.1925504330793957, 12);
    expect(gammaQ(10, 4)).toBeCloseTo(0.9918677572030661, 12);
    expect(gammaQ(0.5, 0.1)).toBeCloseTo(0.6547208460185768, 12);
  });

  it('runs the chi-square homogeneity test (scipy chi2_contingency, no correction)', () => {
    const r = chiSquareHomogeneity([30, 50, 20], [45, 35, 20]);
    expect(r.statistic).toBeCloseTo(5.647058823529411, 12);
    expect(r.dof).toBe(2);
    expect(r.pValue).toBeCloseTo(0.05939593960520477, 12);
  });

  it('measures Wasserstein, Jensen-Shannon and PSI', () => {
    expect(wasserstein([0, 1, 3], [5, 6, 8])).toBeCloseTo(5, 12);
    expect(wasserstein([1, 2, 2, 4], [1.5, 3, 3, 3, 7])).toBeCloseTo(1.35, 12);
    expect(jensenShannon([10, 20, 30], [30, 20, 10])).toBeCloseTo(0.2953100471720493, 12);
    expect(psi([50, 50], [50, 50])).toBe(0);
    // sum (c - r) ln(c / r) with r = (0.5, 0.5), c = (0.8, 0.2)
    expect(psi([50, 50], [80, 20])).toBeCloseTo(0.3 * Math.log(1.6) - 0.3 * Math.log(0.4), 12);
  });
});
