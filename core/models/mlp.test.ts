import { describe, expect, it } from 'vitest';
import type { Matrix } from '../data/matrix.js';
import { Rng } from '../data/rng.js';
import { Mlp } from './mlp.js';
import { tf, tfReady } from './tf/backend.js';

/** Two Gaussian blobs in 4 dimensions, labels 0/1. */
function blobs(rows: number, seed: number): { X: Matrix; y: Int32Array } {
  const rng = new Rng(seed);
  const data = new Float32Array(rows * 4);
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    y[i] = i % 2;
    for (let j = 0; j < 4; j++) data[i * 4 + j] = (y[i] ? 1 : -1) + (rng.next() - 0.5) * 2;
  }
  return { X: { data, rows, cols: 4 }, y };
}

const accuracy = (p: Float64Array, y: Int32Array) => y.reduce((n, yi, i) => n + Number((p[2 * i + 1] > 0.5 ? 1 : 0) === yi), 0) / y.length;

describe('Mlp early stopping', () => {
  it('stops on the held-out loss well before maxEpochs and keeps a good network', async () => {
    await tfReady();
    const { X, y } = blobs(600, 3);
    const m = new Mlp({ hiddenLayers: [8], maxEpochs: 500, earlyStopping: true, nIterNoChange: 5, learningRate: 0.01, seed: 1 });
    await m.fit(X, y, { nClasses: 2 });
    const state = m.toJSON().state as { epochs: number };
    expect(state.epochs).toBeLessThan(500);
    expect(accuracy(m.predictProba(X), y)).toBeGreaterThan(0.9);
  });

  it('trains without a held-out share when the rows are too few to hold any out', async () => {
    await tfReady();
    const { X, y } = blobs(4, 5);
    const m = new Mlp({ hiddenLayers: [4], maxEpochs: 3, earlyStopping: true, seed: 1 });
    await m.fit(X, y, { nClasses: 2 });
    expect(Array.from(m.predictProba(X)).every(Number.isFinite)).toBe(true);
  });
});

describe('Mlp within a deadline', () => {
  it('ends an epoch between batches once the deadline has passed (after the first epoch), keeping a usable network', async () => {
    await tfReady();
    const { X, y } = blobs(4096, 7);
    const m = new Mlp({ hiddenLayers: [8], maxEpochs: 5, batchSize: 64, earlyStopping: false, seed: 1 });
    const progress: number[] = [];
    // The deadline passes once the second epoch has started: its second look after epoch 1 (read
    // through a getter, so no clock in the test).
    let looks = 0;
    const opts = {
      nClasses: 2,
      onProgress: (epoch: number) => void progress.push(epoch),
      get deadline() {
        if (progress.length) looks++;
        return looks > 1 ? 0 : Number.MAX_SAFE_INTEGER;
      },
    };
    await m.fit(X, y, opts);
    // Epoch 2 of 64 batches was cut after 15: one whole epoch; a caller stopping fits hears at the cut.
    expect((m.toJSON().state as { epochs: number }).epochs).toBe(1);
    expect(progress).toEqual([1, 1]);
    expect(accuracy(m.predictProba(X), y)).toBeGreaterThan(0.9);
  });
});

describe('Mlp parameters', () => {
  it('fits three classes through the flat parameter vector and leaves no tensor behind', async () => {
    await tfReady();
    const rng = new Rng(11);
    const rows = 900;
    const data = new Float32Array(rows * 2);
    const y = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      y[i] = i % 3;
      data[2 * i] = [-2, 0, 2][y[i]] + (rng.next() - 0.5);
      data[2 * i + 1] = [0, 2, 0][y[i]] + (rng.next() - 0.5);
    }
    const X = { data, rows, cols: 2 };
    const before = tf.memory().numTensors;
    const m = new Mlp({ hiddenLayers: [8, 4], maxEpochs: 40, learningRate: 0.02, earlyStopping: true, seed: 2 });
    await m.fit(X, y, { nClasses: 3 });
    expect(tf.memory().numTensors).toBe(before);
    const layers = (m.toJSON().state as { layers: { kernel: number[]; bias: number[]; in: number; out: number }[] }).layers;
    expect(layers.map((l) => [l.in, l.out, l.kernel.length, l.bias.length])).toEqual([
      [2, 8, 16, 8],
      [8, 4, 32, 4],
      [4, 3, 12, 3],
    ]);
    const p = m.predictProba(X);
    let right = 0;
    for (let i = 0; i < rows; i++) {
      const row = [p[3 * i], p[3 * i + 1], p[3 * i + 2]];
      right += Number(row.indexOf(Math.max(row[0], row[1], row[2])) === y[i]);
    }
    expect(right / rows).toBeGreaterThan(0.9);
  });
});
