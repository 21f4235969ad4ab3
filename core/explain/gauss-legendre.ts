/** Gauss-Legendre quadrature on [0, 1]: nodes t_m and weights w_m, sum_m w_m p(t_m) = integral_0^1 p for every polynomial p of degree <= 2n - 1. */
export interface Quadrature {
  nodes: Float64Array;
  weights: Float64Array;
}

/**
 * The n-point Gauss-Legendre rule mapped from [-1, 1] to [0, 1]: the roots of the Legendre
 * polynomial P_n by Newton's method from Tricomi's estimate cos(pi (k - 1/4) / (n + 1/2)), each
 * weight 1 / ((1 - x^2) P_n'(x)^2) (halved by the map). Nodes ascend.
 */
export function gaussLegendre(n: number): Quadrature {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`a Gauss-Legendre rule needs a whole number of nodes >= 1, not ${n}`);
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  // Roots come in +-x pairs: compute the positive half (and 0 when n is odd).
  for (let k = 1; k <= (n + 1) >> 1; k++) {
    let x = Math.cos((Math.PI * (k - 0.25)) / (n + 0.5));
    for (let it = 0; it < 100; it++) {
      const [p, d] = legendre(n, x);
      const dx = p / d;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    const dp = legendre(n, x)[1];
    const w = 1 / ((1 - x * x) * dp * dp);
    // x_k descends from near 1: t = (1 + x) / 2 fills the top half, (1 - x) / 2 the bottom.
    nodes[n - k] = (1 + x) / 2;
    weights[n - k] = w;
    nodes[k - 1] = (1 - x) / 2;
    weights[k - 1] = w;
  }
  return { nodes, weights };
}

/** P_n(x) and P_n'(x) by the three-term recurrence. */
function legendre(n: number, x: number): [number, number] {
  let p0 = 1;
  let p1 = x;
  for (let j = 2; j <= n; j++) {
    const p2 = ((2 * j - 1) * x * p1 - (j - 1) * p0) / j;
    p0 = p1;
    p1 = p2;
  }
  if (n === 0) return [1, 0];
  // P_n' = n (x P_n - P_{n-1}) / (x^2 - 1).
  return [p1, (n * (x * p1 - p0)) / (x * x - 1)];
}
