import type { Matrix } from '../../data/matrix.js';
import { tf } from './backend.js';

/** The design matrix as a 2-D float32 tensor (shares no memory with X). */
export function toTensor(X: Matrix): tf.Tensor2D {
  return tf.tensor2d(X.data, [X.rows, X.cols], 'float32');
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
