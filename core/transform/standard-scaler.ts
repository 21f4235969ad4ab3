import { z } from 'zod';
import type { Matrix } from '../data/matrix.js';
import { ModelError } from '../errors.js';

const State = z.object({ mean: z.array(z.number()), scale: z.array(z.number()) });

/** Centres each column on its training mean and divides by its population std (1 when constant); NaN ignored and kept. */
export class StandardScaler {
  static readonly kind = 'standard_scaler';
  private mean?: Float64Array;
  private scale?: Float64Array;

  fit(X: Matrix): this {
    const { sum, n } = addSums(X, new Float64Array(X.cols), new Float64Array(X.cols));
    const mean = meanOf(sum, n);
    return this.set(mean, addSquares(X, mean, new Float64Array(X.cols)), n);
  }

  /**
   * `fit` on a matrix given as row blocks, in order (`blocks` is called once per pass, twice): the
   * same mean and scale as `fit` on the whole matrix, holding one block at a time.
   */
  async fitBlocks(cols: number, blocks: () => AsyncIterable<Matrix>): Promise<this> {
    const sum = new Float64Array(cols);
    const n = new Float64Array(cols);
    for await (const X of blocks()) addSums(X, sum, n);
    const mean = meanOf(sum, n);
    const sq = new Float64Array(cols);
    for await (const X of blocks()) addSquares(X, mean, sq);
    return this.set(mean, sq, n);
  }

  private set(mean: Float64Array, sq: Float64Array, n: Float64Array): this {
    this.mean = mean;
    this.scale = sq.map((s, c) => {
      const sd = n[c] ? Math.sqrt(s / n[c]) : 0;
      return sd > 1e-12 ? sd : 1;
    });
    return this;
  }

  /** `inPlace`: overwrite X's values (a matrix the caller made and reads no more) instead of copying them. Default false. */
  transform(X: Matrix, { inPlace = false } = {}): Matrix {
    const { mean, scale } = this;
    if (!mean || !scale) throw new ModelError('standard_scaler is not fitted');
    if (X.cols !== mean.length) throw new ModelError(`standard_scaler: expected ${mean.length} columns, got ${X.cols}`);
    const out = inPlace ? X.data : new Float32Array(X.data.length);
    for (let i = 0; i < out.length; i++) {
      const c = i % X.cols;
      out[i] = (X.data[i] - mean[c]) / scale[c];
    }
    return { data: out, rows: X.rows, cols: X.cols };
  }

  toJSON() {
    if (!this.mean || !this.scale) throw new ModelError('standard_scaler is not fitted');
    return { kind: StandardScaler.kind, version: 1, params: {}, state: { mean: Array.from(this.mean), scale: Array.from(this.scale) } };
  }

  static fromJSON(json: { kind: string; state: unknown }): StandardScaler {
    if (json.kind !== StandardScaler.kind) throw new ModelError(`expected ${StandardScaler.kind}, got ${json.kind}`);
    const s = State.parse(json.state);
    const sc = new StandardScaler();
    sc.mean = Float64Array.from(s.mean);
    sc.scale = Float64Array.from(s.scale);
    return sc;
  }
}

function addSums({ rows, cols, data }: Matrix, sum: Float64Array, n: Float64Array): { sum: Float64Array; n: Float64Array } {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c];
      if (Number.isNaN(v)) continue;
      sum[c] += v;
      n[c]++;
    }
  }
  return { sum, n };
}

const meanOf = (sum: Float64Array, n: Float64Array) => sum.map((s, c) => (n[c] ? s / n[c] : 0));

function addSquares({ rows, cols, data }: Matrix, mean: Float64Array, sq: Float64Array): Float64Array {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c];
      if (!Number.isNaN(v)) sq[c] += (v - mean[c]) ** 2;
    }
  }
  return sq;
}
