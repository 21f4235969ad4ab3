/**
 * 1-D Wasserstein (earth mover's) distance between two samples: the area between their
 * empirical CDFs (scipy.stats.wasserstein_distance). NaN values are dropped.
 */
export function wasserstein(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const sorted = (v: ArrayLike<number>) => Float64Array.from(v).filter((u) => !Number.isNaN(u)).sort();
  return wassersteinSorted(sorted(a), sorted(b));
}

/** wasserstein of two samples already sorted ascending without NaN. */
export function wassersteinSorted(x: Float64Array, y: Float64Array): number {
  if (!x.length || !y.length) return NaN;
  let i = 0;
  let j = 0;
  let prev = Math.min(x[0], y[0]);
  let area = 0;
  while (i < x.length || j < y.length) {
    const v = Math.min(i < x.length ? x[i] : Infinity, j < y.length ? y[j] : Infinity);
    area += Math.abs(i / x.length - j / y.length) * (v - prev);
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
    prev = v;
  }
  return area;
}

const normalise = (c: ArrayLike<number>) => {
  const total = Array.from(c).reduce((s, v) => s + v, 0);
  return Array.from(c, (v) => (total ? v / total : 0));
};

/** Jensen-Shannon distance (square root of the divergence, natural log) between two count vectors (scipy.spatial.distance.jensenshannon). */
export function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const P = normalise(p);
  const Q = normalise(q);
  let js = 0;
  P.forEach((pi, k) => {
    const mi = (pi + Q[k]) / 2;
    if (pi > 0) js += 0.5 * pi * Math.log(pi / mi);
    if (Q[k] > 0) js += 0.5 * Q[k] * Math.log(Q[k] / mi);
  });
  return Math.sqrt(Math.max(0, js));
}

/** Population stability index of current vs reference counts; empty bins count as 0.0001 (Evidently's rule). */
export function psi(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const R = normalise(reference).map((v) => v || 1e-4);
  const C = normalise(current).map((v) => v || 1e-4);
  return R.reduce((s, r, k) => s + (C[k] - r) * Math.log(C[k] / r), 0);
}
