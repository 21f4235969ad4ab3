/** Special functions for test statistics (Numerical Recipes forms, double precision). */

const LANCZOS = [676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];

export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  x -= 1;
  let a = 0.99999999999980993;
  const t = x + 7.5;
  for (let i = 0; i < 8; i++) a += LANCZOS[i] / (x + i + 1);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Upper regularised incomplete gamma Q(a, x) = Gamma(a, x) / Gamma(a): the chi-square survival function is Q(dof/2, x/2). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (x < a + 1) {
    // Series for P, then Q = 1 - P.
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.max(0, 1 - sum * Math.exp(-x + a * Math.log(x) - logGamma(a)));
  }
  // Continued fraction for Q (modified Lentz).
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

/** Chi-square survival function: P(X >= x) for `dof` degrees of freedom. */
export function chiSquareSf(x: number, dof: number): number {
  return gammaQ(dof / 2, x / 2);
}

/** Kolmogorov distribution survival function Q(t) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 t^2) (scipy.special.kolmogorov). */
export function kolmogorovSf(t: number): number {
  if (t <= 0) return 1;
  if (t < 0.3) {
    // Small t: the alternating series converges slowly; use the theta-function form of the CDF.
    const s = (Math.sqrt(2 * Math.PI) / t) * sumK((k) => Math.exp(-((2 * k - 1) ** 2) * Math.PI ** 2 / (8 * t * t)));
    return 1 - s;
  }
  return Math.min(1, 2 * sumK((k) => (k % 2 ? 1 : -1) * Math.exp(-2 * k * k * t * t)));
}

function sumK(term: (k: number) => number): number {
  let s = 0;
  for (let k = 1; k < 200; k++) {
    const v = term(k);
    s += v;
    if (Math.abs(v) < 1e-18) break;
  }
  return s;
}
