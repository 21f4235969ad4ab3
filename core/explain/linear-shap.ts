/** A fitted linear model's margin terms: z_c = bias_c + sum_j weights[j * D + c] x_j. */
export interface LinearTerms {
  weights: ArrayLike<number>;
  bias: ArrayLike<number>;
  cols: number;
  D: number;
  /** The reference point: training column means. */
  means: ArrayLike<number>;
}

/**
 * Exact SHAP values of a linear margin with independent features w.r.t. the training means
 * (Lundberg & Lee 2017, linear SHAP): phi_j = w_jc (x_j - mean_j), base = z_c(means).
 */
export class LinearShap {
  readonly expected: number;
  private readonly w: Float64Array;
  private readonly means: Float64Array;

  constructor(t: LinearTerms, column: number) {
    this.w = Float64Array.from({ length: t.cols }, (_, j) => t.weights[j * t.D + column]);
    this.means = Float64Array.from(t.means);
    let base = t.bias[column];
    for (let j = 0; j < t.cols; j++) base += this.w[j] * this.means[j];
    this.expected = base;
  }

  /** Adds row `x` (values at `x0 ..`)'s contributions to `phi` (one per model column). */
  explain(x: ArrayLike<number>, x0: number, phi: Float64Array): void {
    for (let j = 0; j < this.w.length; j++) phi[j] += this.w[j] * (x[x0 + j] - this.means[j]);
  }

  /** Adds the contributions of rows [r0, r1) of row-major `x` (`cols` columns) to `phi`, (r1 - r0) x cols. */
  explainRows(x: ArrayLike<number>, cols: number, r0: number, r1: number, phi: Float64Array): void {
    for (let r = r0; r < r1; r++) {
      const x0 = r * cols;
      const p0 = (r - r0) * cols;
      for (let j = 0; j < this.w.length; j++) phi[p0 + j] += this.w[j] * (x[x0 + j] - this.means[j]);
    }
  }
}
