import type { Matrix } from '../../data/matrix.js';
import { tf } from './backend.js';

/** The design matrix as a 2-D float32 tensor (shares no memory with X). */
export function toTensor(X: Matrix): tf.Tensor2D {
  return tf.tensor2d(X.data, [X.rows, X.cols], 'float32');
}

/** One-hot targets (rows x K) for softmax, or a column of 0/1 for class 1 when K = 2. */
export function targets(y: Int32Array, K: number): tf.Tensor2D {
  if (K === 2) return tf.tensor2d(Float32Array.from(y), [y.length, 1]);
  // In tidy: the label vector and the int one-hot are freed (they leaked 2 tensors a fit).
  return tf.tidy(() => tf.oneHot(tf.tensor1d(y, 'int32'), K).toFloat() as tf.Tensor2D);
}

/** Probabilities (rows x K) from the network output: sigmoid column for K = 2, softmax otherwise. */
export function probaFromOutput(out: tf.Tensor2D, K: number): Float64Array {
  const p = out.dataSync();
  if (K > 2) return Float64Array.from(p);
  const res = new Float64Array(p.length * 2);
  for (let i = 0; i < p.length; i++) {
    res[2 * i] = 1 - p[i];
    res[2 * i + 1] = p[i];
  }
  return res;
}

export function assertTfReady(kind: string): void {
  if (!tf.getBackend()) throw new Error(`${kind}: await tfReady() before loading or scoring`);
}

/** Runs a forward pass in a tidy scope and returns class probabilities (rows x K). */
export function predictWith(K: number, forward: () => tf.Tensor2D): Float64Array {
  const out = tf.tidy(forward);
  try {
    return probaFromOutput(out, K);
  } finally {
    out.dispose();
  }
}
