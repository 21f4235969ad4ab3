import { z } from 'zod';
import type { Matrix } from '../data/matrix.js';
import { Rng } from '../data/rng.js';
import { stratifiedSplit } from '../data/split.js';
import { type Classifier, type FitOptions, type ModelJSON } from './model.js';
import { ModelBase } from './model-base.js';
import { Seed } from './params.js';
import { tf, tfReady } from './tf/backend.js';
import { assertTfReady, predictWith, toTensor } from './tf/tensors.js';

export const MlpParams = z.object({
  /** Units per hidden layer (ReLU). Default [64, 32]. */
  hiddenLayers: z.array(z.number().int().min(1).max(4096)).min(1).max(8).default([64, 32]),
  /** L2 penalty on weights, as scikit-learn's MLP alpha (divided by the batch size). Default 1e-4. */
  alpha: z.number().nonnegative().default(1e-4),
  /** Adam step size. Default 1e-3. */
  learningRate: z.number().positive().default(1e-3),
  /** Default 200. */
  batchSize: z.number().int().min(1).default(200),
  /** Default 200. */
  maxEpochs: z.number().int().min(1).max(10_000).default(200),
  /** Stop when the epoch loss (the validation loss with earlyStopping) has not improved by `tol` for this many epochs. Default 10. */
  nIterNoChange: z.number().int().min(1).default(10),
  tol: z.number().nonnegative().default(1e-4),
  /**
   * Hold out a stratified `validationFraction` of the rows, stop when their loss stops improving and
   * keep the weights of the best epoch (scikit-learn's early_stopping, on log loss). Default false.
   */
  earlyStopping: z.boolean().default(false),
  /** Share of the rows held out for early stopping. Default 0.1. */
  validationFraction: z.number().gt(0).lt(1).default(0.1),
  seed: Seed,
});
export type MlpParams = z.input<typeof MlpParams>;

const State = z.object({
  nClasses: z.number().int().min(2),
  cols: z.number().int().min(1),
  /** Per dense layer: kernel (in x out, row-major) and bias. */
  layers: z.array(z.object({ kernel: z.array(z.number()), bias: z.array(z.number()), in: z.number(), out: z.number() })),
  epochs: z.number().int(),
});
type State = z.infer<typeof State>;

/** A dense layer's weights and bias as tensors (views cut from the flat parameter vector). */
interface Layer {
  w: tf.Tensor2D;
  b: tf.Tensor1D;
}

/**
 * Every weight and bias in one flat variable (kernel 0, bias 0, kernel 1, ...): Adam then updates
 * one tensor a step instead of two per layer, about 14 kernels where it took 84 (with two hidden
 * layers); per element the update is the same, so the fit is too.
 */
class FlatParams {
  readonly sizes: number[];
  constructor(
    readonly flat: tf.Variable,
    readonly shapes: { fanIn: number; out: number }[],
  ) {
    this.sizes = shapes.flatMap(({ fanIn, out }) => [fanIn * out, out]);
  }

  /** The layers as views of the current values (tensors of the enclosing tidy scope). */
  layers(): Layer[] {
    const parts = tf.split(this.flat, this.sizes);
    return this.shapes.map(({ fanIn, out }, i) => ({ w: parts[2 * i].reshape([fanIn, out]), b: parts[2 * i + 1] as tf.Tensor1D }));
  }

  /** The gradients [w0, b0, w1, b1, ...] as one flat tensor, in the same order. */
  flatten(grads: tf.Tensor[]): tf.Tensor1D {
    return tf.concat(grads.map((g) => g.reshape([-1]))) as tf.Tensor1D;
  }

  /** Kernels and biases, copied out: [w0, b0, w1, b1, ...]. */
  values(): Float32Array[] {
    const all = this.flat.dataSync() as Float32Array;
    let at = 0;
    return this.sizes.map((n) => all.slice(at, (at += n)));
  }
}

let variableIds = 0;

/**
 * Multi-layer perceptron classifier on TensorFlow.js: ReLU hidden layers, sigmoid or softmax
 * output, cross-entropy, Adam, L2 penalty, Glorot-uniform seeded initialisation, seeded epoch
 * shuffles and early stop on a training-loss plateau (as scikit-learn's MLPClassifier).
 * Back-propagation is written out with explicit transposes: the WebAssembly backend's matMul with
 * transpose flags (what autograd emits) is several times slower than transpose + matMul.
 */
export class Mlp extends ModelBase<typeof MlpParams, State> implements Classifier {
  static readonly kind = 'mlp';

  constructor(params: MlpParams = {}) {
    super(Mlp.kind, MlpParams, params);
  }

  private init(cols: number, K: number, rng: Rng): FlatParams {
    const sizes = [cols, ...this.params.hiddenLayers, K === 2 ? 1 : K];
    const shapes = sizes.slice(1).map((out, i) => ({ fanIn: sizes[i], out }));
    const flat = new Float32Array(shapes.reduce((n, { fanIn, out }) => n + fanIn * out + out, 0));
    let at = 0;
    for (const { fanIn, out } of shapes) {
      const limit = Math.sqrt(6 / (fanIn + out));
      for (let j = 0; j < fanIn * out; j++) flat[at++] = (2 * rng.next() - 1) * limit;
      at += out; // bias: zeros
    }
    // Adam finds variables by name, so names are unique per process.
    // Inside tidy, the initial tensor the variable copies is freed.
    return new FlatParams(tf.tidy(() => tf.variable(tf.tensor1d(flat), true, `mlp${++variableIds}_params`)), shapes);
  }

  async fit(X: Matrix, y: Int32Array, opts: FitOptions): Promise<void> {
    await tfReady();
    const p = this.params;
    const K = opts.nClasses;
    const rng = new Rng(p.seed);
    const params = this.init(X.cols, K, rng);
    const optimizer = tf.train.adam(p.learningRate);
    // Row indices only: the fit copies one batch at a time into tensors, so neither the JS heap nor
    // the WebAssembly heap (which never shrinks) holds a second copy of X.
    const held = p.earlyStopping ? holdOut(y, p.validationFraction, p.seed) : undefined;
    const rows = held?.train ?? Int32Array.from({ length: X.rows }, (_, i) => i);
    const feed = new BatchFeeder(X, y, K);
    try {
      this.train(params, optimizer, feed, rows, held?.val, rng, K, opts);
    } finally {
      // Also when a progress callback throws to stop the fit: no tensor outlives it.
      params.flat.dispose();
      optimizer.dispose();
    }
  }

  /** The epochs; sets the fitted state. */
  private train(params: FlatParams, optimizer: tf.Optimizer, feed: BatchFeeder, rows: Int32Array, val: Int32Array | undefined, rng: Rng, K: number, opts: FitOptions): void {
    const p = this.params;
    const n = rows.length;
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const batch = new Int32Array(p.batchSize);
    let best = Infinity;
    let bestWeights: Float32Array[] | undefined;
    let stale = 0;
    let epoch = 0;
    const late = () => {
      const deadline = epoch > 0 ? opts.deadline : undefined;
      return deadline !== undefined && Date.now() > deadline;
    };
    while (epoch < p.maxEpochs && stale < p.nIterNoChange && !late()) {
      rng.shuffle(order);
      let loss = 0;
      let cut = false;
      for (let s = 0; s < n; s += p.batchSize) {
        // After the first epoch, a deadline also ends an epoch between batches (an epoch on a few
        // hundred thousand rows takes many seconds): the weights so far (or the best epoch's) stay.
        if ((s / p.batchSize) % 16 === 15 && late()) {
          cut = true;
          break;
        }
        const b = Math.min(n, s + p.batchSize) - s;
        for (let i = 0; i < b; i++) batch[i] = rows[order[s + i]];
        const batchLoss = tf.tidy(() => {
          const { x, t } = feed.take(batch.subarray(0, b));
          const { loss: l, grads } = backprop(params.layers(), x, t, K, p.alpha, !val);
          optimizer.applyGradients([{ name: params.flat.name, tensor: params.flatten(grads) }]);
          return l;
        });
        if (batchLoss) {
          loss += batchLoss.dataSync()[0] * b;
          batchLoss.dispose();
        }
      }
      if (cut) {
        // A caller that stops fits through onProgress (the search) hears of it as of an epoch's end.
        opts.onProgress?.(epoch, p.maxEpochs);
        break;
      }
      loss /= n;
      if (val) loss = validationLoss(params, feed, val, K);
      epoch++;
      stale = loss > best - p.tol ? stale + 1 : 0;
      if (loss < best) {
        best = loss;
        if (val) bestWeights = params.values();
      }
      opts.onProgress?.(epoch, p.maxEpochs);
    }
    // With early stopping, the best epoch's weights.
    const weights = bestWeights ?? params.values();
    this.state = {
      nClasses: K,
      cols: feed.X.cols,
      epochs: epoch,
      layers: params.shapes.map(({ fanIn, out }, i) => ({ kernel: Array.from(weights[2 * i]), bias: Array.from(weights[2 * i + 1]), in: fanIn, out })),
    };
  }

  predictProba(X: Matrix): Float64Array {
    const s = this.fitted();
    assertTfReady(this.kind);
    const layers = s.layers.map((l) => ({ w: tf.tensor2d(l.kernel, [l.in, l.out]), b: tf.tensor1d(l.bias) }));
    try {
      // In row blocks: a million-row matrix never sits whole in the WebAssembly heap.
      if (X.rows <= PREDICT_BLOCK_ROWS) return predictWith(s.nClasses, () => forward(layers, toTensor(X), s.nClasses).at(-1)!);
      const out = new Float64Array(X.rows * s.nClasses);
      for (let r = 0; r < X.rows; r += PREDICT_BLOCK_ROWS) {
        const block = matrixRows(X, r, Math.min(X.rows, r + PREDICT_BLOCK_ROWS));
        out.set(predictWith(s.nClasses, () => forward(layers, toTensor(block), s.nClasses).at(-1)!), r * s.nClasses);
      }
      return out;
    } finally {
      tf.dispose(layers.flatMap((l) => [l.w, l.b]));
    }
  }

  static fromJSON(json: ModelJSON): Mlp {
    const m = new Mlp(json.params as MlpParams);
    m.state = State.parse(json.state);
    return m;
  }
}

/** A stratified, seeded split of the row indices: `fraction` held out for early stopping (none when too few rows). */
function holdOut(y: Int32Array, fraction: number, seed: number): { train: Int32Array; val: Int32Array } | undefined {
  const { train, test } = stratifiedSplit(y, fraction, seed);
  if (!test.length || !train.length) return undefined;
  return { train, val: test };
}

/** Rows scored per forward pass when predicting or judging the held-out loss. */
const PREDICT_BLOCK_ROWS = 16_384;

/** Rows [start, end) of X as a matrix view (no copy). */
function matrixRows(X: Matrix, start: number, end: number): Matrix {
  return { data: X.data.subarray(start * X.cols, end * X.cols), rows: end - start, cols: X.cols };
}

/** Copies chosen rows of X and their targets into fresh tensors (a batch, or a block of held-out rows). */
class BatchFeeder {
  constructor(
    readonly X: Matrix,
    private readonly y: Int32Array,
    private readonly K: number,
  ) {}

  take(rows: Int32Array): { x: tf.Tensor2D; t: tf.Tensor2D } {
    const { X, K } = this;
    const cols = X.cols;
    const x = new Float32Array(rows.length * cols);
    for (let i = 0; i < rows.length; i++) x.set(X.data.subarray(rows[i] * cols, (rows[i] + 1) * cols), i * cols);
    const width = K === 2 ? 1 : K;
    const t = new Float32Array(rows.length * width);
    for (let i = 0; i < rows.length; i++) {
      const label = this.y[rows[i]];
      if (K === 2) t[i] = label;
      else t[i * K + label] = 1;
    }
    return { x: tf.tensor2d(x, [rows.length, cols], 'float32'), t: tf.tensor2d(t, [rows.length, width], 'float32') };
  }
}

/** The activations of every layer, the input first and the output (sigmoid or softmax) last. */
function forward(layers: { w: tf.Tensor; b: tf.Tensor }[], x: tf.Tensor2D, K: number): tf.Tensor2D[] {
  const acts: tf.Tensor2D[] = [x];
  layers.forEach((l, i) => {
    const z = acts[i].matMul(l.w as tf.Tensor2D).add(l.b) as tf.Tensor2D;
    acts.push(i < layers.length - 1 ? tf.relu(z) : K === 2 ? tf.sigmoid(z) : tf.softmax(z));
  });
  return acts;
}

/** Summed cross-entropy of probabilities p against targets t (a 0/1 column when K = 2). */
function crossEntropy(p: tf.Tensor2D, t: tf.Tensor2D, K: number): tf.Scalar {
  const pc = p.clipByValue(1e-7, 1 - 1e-7);
  const ce = K === 2 ? t.mul(pc.log()).add(t.neg().add(1).mul(pc.neg().add(1).log())).neg() : t.mul(pc.log()).neg();
  return ce.sum();
}

/** Mean cross-entropy of the network on the held-out rows, a block of rows at a time. */
function validationLoss(params: FlatParams, feed: BatchFeeder, rows: Int32Array, K: number): number {
  let total = 0;
  for (let r = 0; r < rows.length; r += PREDICT_BLOCK_ROWS) {
    const loss = tf.tidy(() => {
      const { x, t } = feed.take(rows.subarray(r, Math.min(rows.length, r + PREDICT_BLOCK_ROWS)));
      return crossEntropy(forward(params.layers(), x, K).at(-1)!, t, K);
    });
    total += loss.dataSync()[0];
    loss.dispose();
  }
  return total / rows.length;
}

/**
 * Gradients [w0, b0, w1, b1, ...] of one batch, by hand, and its mean cross-entropy when `withLoss`.
 * Early stopping judges epochs by the held-out loss, so its batches skip the loss (a dozen kernels
 * and a read back per batch); the gradients, and so the fit, are the same.
 */
function backprop(layers: Layer[], x: tf.Tensor2D, t: tf.Tensor2D, K: number, alpha: number, withLoss: boolean): { loss?: tf.Scalar; grads: tf.Tensor[] } {
  const B = x.shape[0];
  const acts = forward(layers, x, K);
  const p = acts[acts.length - 1];
  let loss: tf.Scalar | undefined;
  if (withLoss) {
    let l2 = tf.scalar(0);
    for (const l of layers) l2 = l2.add(l.w.square().sum());
    loss = crossEntropy(p, t, K).div(B).add(l2.mul(alpha / (2 * B))) as tf.Scalar;
  }
  // Sigmoid / softmax with cross-entropy: d loss / d logits = p - t.
  let delta = p.sub(t).div(B) as tf.Tensor2D;
  const grads: tf.Tensor[] = new Array(layers.length * 2);
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    grads[2 * i] = acts[i].transpose().matMul(delta).add(l.w.mul(alpha / B));
    grads[2 * i + 1] = delta.sum(0);
    if (i > 0) delta = delta.matMul(l.w.transpose() as tf.Tensor2D).mul(acts[i].greater(0).toFloat()) as tf.Tensor2D;
  }
  return { loss, grads };
}
