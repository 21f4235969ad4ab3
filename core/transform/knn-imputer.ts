import { z } from 'zod';
import { addColumnSums, columnMeans, meansOf, type Matrix } from '../data/matrix.js';
import { Rng } from '../data/rng.js';
import { ModelError } from '../errors.js';

export const KnnImputerParams = z.object({
  /** Donors averaged per missing value. Default 5. */
  nNeighbors: z.number().int().min(1).default(5),
  /** Training rows kept as donors at most (a seeded sample beyond). Default 50,000. */
  maxDonors: z.number().int().min(1).default(50_000),
  seed: z.number().int().nonnegative().default(42),
});
export type KnnImputerParams = z.input<typeof KnnImputerParams>;

const State = z.object({ cols: z.number().int(), donors: z.array(z.number().nullable()), means: z.array(z.number()) });

/**
 * scikit-learn's KNNImputer (uniform weights): a missing value becomes the mean of that column
 * over the k nearest training rows that have it, by nan-euclidean distance
 * sqrt(d / present * sum over coordinates present in both of (a - b)^2). A row with no
 * coordinate in common with any donor gets the column's training mean. Unlike scikit-learn, a
 * column missing everywhere at fit time is kept and filled with 0 rather than dropped.
 */
export class KnnImputer {
  static readonly kind = 'knn_imputer';
  readonly params: z.output<typeof KnnImputerParams>;
  private donors?: Float64Array;
  private means?: Float64Array;
  private cols = 0;

  constructor(params: KnnImputerParams = {}) {
    const r = KnnImputerParams.safeParse(params);
    if (!r.success) throw new ModelError(`knn_imputer: bad params (${r.error.issues.map((i) => i.message).join('; ')})`);
    this.params = r.data;
  }

  fit(X: Matrix): this {
    const donors = this.donorRows(X.rows, X.cols);
    donors.add(X);
    return this.set(donors.finish(), columnMeans(X), X.cols);
  }

  /** `fit` on a `rows` x `cols` matrix given as row blocks, in order: the same donors and means, one block held at a time. */
  async fitBlocks(rows: number, cols: number, blocks: AsyncIterable<Matrix>): Promise<this> {
    const donors = this.donorRows(rows, cols);
    const sums = { sum: new Float64Array(cols), n: new Float64Array(cols) };
    for await (const X of blocks) {
      donors.add(X);
      addColumnSums(X, sums.sum, sums.n);
    }
    return this.set(donors.finish(), meansOf(sums), cols);
  }

  private set(donors: Float64Array, means: Float64Array, cols: number): this {
    this.donors = donors;
    this.means = means;
    this.cols = cols;
    return this;
  }

  /** Copies the donor rows (all rows, or a seeded sample of maxDonors) out of row blocks added in order. */
  private donorRows(rows: number, cols: number) {
    let pick = Int32Array.from({ length: rows }, (_, i) => i);
    if (rows > this.params.maxDonors) pick = new Rng(this.params.seed).shuffle(pick).subarray(0, this.params.maxDonors).sort();
    const donors = new Float64Array(pick.length * cols);
    let i = 0;
    let r0 = 0;
    return {
      add(X: Matrix) {
        // `pick` is sorted, so the donors come block by block.
        for (; i < pick.length && pick[i] < r0 + X.rows; i++) {
          const o = (pick[i] - r0) * cols;
          for (let c = 0; c < cols; c++) donors[i * cols + c] = X.data[o + c];
        }
        r0 += X.rows;
      },
      finish: () => donors,
    };
  }

  /** X with missing values filled: a copy, or X itself with `inPlace` (a matrix the caller reads no more). Default a copy. */
  transform(X: Matrix, { inPlace = false } = {}): Matrix {
    const donors = this.donors;
    const means = this.means;
    if (!donors || !means) throw new ModelError('knn_imputer is not fitted');
    const { cols } = this;
    if (X.cols !== cols) throw new ModelError(`knn_imputer: expected ${cols} columns, got ${X.cols}`);
    // In place is safe: a row's distances read only its own cells, and they are written after.
    const out = inPlace ? X.data : X.data.slice();
    const m = donors.length / cols;
    const dist = new Float64Array(m);
    const k = this.params.nNeighbors;
    for (let r = 0; r < X.rows; r++) {
      const o = r * cols;
      let missing = false;
      for (let c = 0; c < cols; c++) if (Number.isNaN(X.data[o + c])) missing = true;
      if (!missing) continue;
      for (let j = 0; j < m; j++) {
        let sum = 0;
        let present = 0;
        for (let c = 0; c < cols; c++) {
          const d = X.data[o + c] - donors[j * cols + c];
          if (!Number.isNaN(d)) {
            sum += d * d;
            present++;
          }
        }
        dist[j] = present ? Math.sqrt((cols / present) * sum) : NaN;
      }
      for (let c = 0; c < cols; c++) {
        if (!Number.isNaN(X.data[o + c])) continue;
        out[o + c] = nearestMean(dist, donors, cols, c, k, means[c]);
      }
    }
    return { data: out, rows: X.rows, cols };
  }

  toJSON() {
    if (!this.donors || !this.means) throw new ModelError('knn_imputer is not fitted');
    return {
      kind: KnnImputer.kind,
      version: 1,
      params: this.params,
      state: { cols: this.cols, donors: Array.from(this.donors, (v) => (Number.isNaN(v) ? null : v)), means: Array.from(this.means) },
    };
  }

  static fromJSON(json: { kind: string; params: unknown; state: unknown }): KnnImputer {
    if (json.kind !== KnnImputer.kind) throw new ModelError(`expected ${KnnImputer.kind}, got ${json.kind}`);
    const imp = new KnnImputer(json.params as KnnImputerParams);
    const s = State.parse(json.state);
    imp.cols = s.cols;
    imp.donors = Float64Array.from(s.donors, (v) => v ?? NaN);
    imp.means = Float64Array.from(s.means);
    return imp;
  }
}

/** Mean of column c over the k nearest donors that have it; the column mean when none is reachable. */
function nearestMean(dist: Float64Array, donors: Float64Array, cols: number, c: number, k: number, mean: number): number {
  const bestD: number[] = [];
  const bestV: number[] = [];
  for (let j = 0; j < dist.length; j++) {
    const v = donors[j * cols + c];
    const d = dist[j];
    if (Number.isNaN(v) || Number.isNaN(d)) continue;
    if (bestD.length === k && d >= bestD[k - 1]) continue;
    let at = bestD.length < k ? bestD.length : k - 1;
    bestD[at] = d;
    bestV[at] = v;
    while (at > 0 && bestD[at - 1] > d) {
      [bestD[at], bestD[at - 1]] = [bestD[at - 1], bestD[at]];
      [bestV[at], bestV[at - 1]] = [bestV[at - 1], bestV[at]];
      at--;
    }
  }
  if (!bestV.length) return mean;
  return bestV.reduce((a, b) => a + b, 0) / bestV.length;
}
