import { z } from 'zod';
import { distinctRows } from '../data/distinct-rows.js';
import { columnMeans, type Matrix } from '../data/matrix.js';
import { type Classifier, type FitOptions, type ModelJSON } from './model.js';
import { ModelBase } from './model-base.js';
import { tf, tfReady } from './tf/backend.js';
import { assertTfReady, predictWith, toTensor } from './tf/tensors.js';

export const LogisticRegressionParams = z.object({
  /** Inverse regularisation strength, as scikit-learn's C. Default 1. */
  C: z.number().positive().default(1),
  /** Default l2. */
  penalty: z.enum(['l1', 'l2', 'none']).default('l2'),
  /** Weigh classes inversely to their frequency. Default false. */
  balanced: z.boolean().default(false),
  /** Full-batch proximal gradient iterations at most. Default 200. */
  maxIter: z.number().int().min(1).max(100_000).default(200),
  /** Stop when the largest weight change per iteration falls below. Default 1e-4 (as scikit-learn). */
  tol: z.number().positive().default(1e-4),
});
export type LogisticRegressionParams = z.input<typeof LogisticRegressionParams>;

const State = z.object({
  nClasses: z.number().int().min(2),
  /** (cols) x (1 for binary, K otherwise), row-major. */
  weights: z.array(z.number()),
  bias: z.array(z.number()),
  cols: z.number().int().min(1),
  /** Training column means: linear SHAP's reference point (absent in format-1 models). */
  means: z.array(z.number()).optional(),
});
type State = z.infer<typeof State>;

/**
 * Logistic regression (sigmoid for two classes, softmax for more) minimising mean log loss plus
 * an L1 or L2 penalty of strength 1/(C n), as scikit-learn scales it. Solved full-batch on
 * TensorFlow.js with FISTA (accelerated proximal gradient; the prox step gives exact L1 zeros),
 * step 1/L from the largest eigenvalue of X'X.
 */
export class LogisticRegression extends ModelBase<typeof LogisticRegressionParams, State> implements Classifier {
  static readonly kind = 'logistic_regression';

  constructor(params: LogisticRegressionParams = {}) {
    super(LogisticRegression.kind, LogisticRegressionParams, params);
  }

  async fit(X: Matrix, y: Int32Array, opts: FitOptions): Promise<void> {
    await tfReady();
    const K = opts.nClasses;
    const D = K === 2 ? 1 : K;
    const n = X.rows;
    const p = this.params;
    const lambda = p.penalty === 'none' ? 0 : 1 / (p.C * n);
    // Identical rows merge into per-class counts: the summed loss, and so the solution, is unchanged.
    const merged = distinctRows(X, y, K);
    const { targets: tw, totals } = weightedTargets(merged.counts, classWeights(y, K, p.balanced), K);
    const x = toTensor(merged.X);
    // Transposed once: the WebAssembly backend's matMul with a transpose flag is several times slower.
    const xT = x.transpose();
    const t = tf.tensor2d(tw, [merged.X.rows, D]);
    const sw = tf.tensor2d(totals, [merged.X.rows, 1]);
    // Log-loss curvature is at most 1/2 X'WX / n (softmax; 1/4 for a sigmoid): a safe Lipschitz bound.
    const L = (0.5 * largestEigen(merged.X, totals)) / n + (p.penalty === 'l2' ? lambda : 0);
    const step = 1 / L;
    let w = tf.zeros([X.cols, D]) as tf.Tensor2D;
    let b = tf.zeros([D]) as tf.Tensor1D;
    let wPrev = w.clone();
    let bPrev = b.clone();
    let momentum = 1;
    for (let it = 0; it < p.maxIter; it++) {
      const nextMomentum = (1 + Math.sqrt(1 + 4 * momentum * momentum)) / 2;
      const beta = (momentum - 1) / nextMomentum;
      const [wNew, bNew] = tf.tidy(() => {
        const vw = w.add(w.sub(wPrev).mul(beta));
        const vb = b.add(b.sub(bPrev).mul(beta));
        const logits = x.matMul(vw).add(vb);
        const prob = D === 1 ? tf.sigmoid(logits) : tf.softmax(logits);
        const err = prob.mul(sw).sub(t).div(n);
        let gw = xT.matMul(err);
        if (p.penalty === 'l2') gw = gw.add(vw.mul(lambda));
        const gb = err.sum(0);
        let nw = vw.sub(gw.mul(step));
        if (p.penalty === 'l1') nw = tf.sign(nw).mul(tf.relu(nw.abs().sub(step * lambda)));
        return [nw as tf.Tensor2D, vb.sub(gb.mul(step)) as tf.Tensor1D];
      });
      wPrev.dispose();
      bPrev.dispose();
      wPrev = w;
      bPrev = b;
      w = wNew;
      b = bNew;
      momentum = nextMomentum;
      if (it % 10 === 9) {
        // Past the deadline: keep the iterate so far (checked before onProgress, which may throw to stop the fit).
        if (opts.deadline !== undefined && Date.now() > opts.deadline) break;
        const delta = tf.tidy(() => w.sub(wPrev).abs().max().dataSync()[0]);
        opts.onProgress?.(it + 1, p.maxIter);
        if (delta < p.tol) break;
      }
    }
    this.state = { nClasses: K, weights: Array.from(w.dataSync()), bias: Array.from(b.dataSync()), cols: X.cols, means: Array.from(columnMeans(X)) };
    tf.dispose([x, xT, t, sw, w, b, wPrev, bPrev]);
  }

  predictProba(X: Matrix): Float64Array {
    const s = this.fitted();
    assertTfReady(this.kind);
    const D = s.nClasses === 2 ? 1 : s.nClasses;
    return predictWith(s.nClasses, () => {
      const logits = toTensor(X).matMul(tf.tensor2d(s.weights, [s.cols, D])).add(tf.tensor1d(s.bias));
      return (D === 1 ? tf.sigmoid(logits) : tf.softmax(logits)) as tf.Tensor2D;
    });
  }

  /** Weights ((cols) x D, row-major; D = 1 when binary), bias and training means (absent in old models). */
  get linearTerms(): { weights: number[]; bias: number[]; cols: number; D: number; means?: number[] } {
    const s = this.fitted();
    return { weights: s.weights, bias: s.bias, cols: s.cols, D: s.nClasses === 2 ? 1 : s.nClasses, means: s.means };
  }

  static fromJSON(json: ModelJSON): LogisticRegression {
    const m = new LogisticRegression(json.params as LogisticRegressionParams);
    m.state = State.parse(json.state);
    return m;
  }
}

/** Class weights: 1, or n / (K * class count) when balanced (scikit-learn's rule). */
export function classWeights(y: Int32Array, K: number, balanced: boolean): Float64Array {
  const w = new Float64Array(K).fill(1);
  if (!balanced) return w;
  const counts = new Float64Array(K);
  for (const c of y) counts[c]++;
  return w.map((_, k) => (counts[k] ? y.length / (K * counts[k]) : 0));
}

/**
 * Targets and row weights for merged rows: a row standing for c_k rows of class k has weight
 * sum_k w_k c_k and target w_k c_k per class (class 1 only when binary), so the gradient is
 * X'(weight * p - target) / n.
 */
function weightedTargets(counts: Float64Array, classW: Float64Array, K: number): { targets: Float32Array; totals: Float32Array } {
  const rows = counts.length / K;
  const D = K === 2 ? 1 : K;
  const targets = new Float32Array(rows * D);
  const totals = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < K; k++) {
      const c = counts[r * K + k] * classW[k];
      totals[r] += c;
      if (D === 1) {
        if (k === 1) targets[r] = c;
      } else targets[r * K + k] = c;
    }
  }
  return { targets, totals };
}

/** Largest eigenvalue of X'WX (with an intercept column) by power iteration. */
function largestEigen(X: Matrix, w: Float32Array): number {
  const d = X.cols + 1;
  const G = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < X.rows; i++) {
    for (let j = 0; j < X.cols; j++) row[j] = X.data[i * X.cols + j];
    row[X.cols] = 1;
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      if (ra !== 0) for (let c = 0; c < d; c++) G[a * d + c] += w[i] * ra * row[c];
    }
  }
  let v = new Float64Array(d).fill(1 / Math.sqrt(d));
  let lambda = 0;
  for (let it = 0; it < 100; it++) {
    const next = new Float64Array(d);
    for (let a = 0; a < d; a++) for (let c = 0; c < d; c++) next[a] += G[a * d + c] * v[c];
    const norm = Math.sqrt(next.reduce((s, x) => s + x * x, 0));
    if (norm === 0) return 1;
    const changed = Math.abs(norm - lambda) < 1e-9 * norm;
    lambda = norm;
    v = next.map((x) => x / norm);
    if (changed) break;
  }
  return lambda;
}
