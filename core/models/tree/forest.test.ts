import { describe, expect, it } from 'vitest';
import type { Matrix } from '../../data/matrix.js';
import { Rng } from '../../data/rng.js';
import { Forest } from './forest.js';
import { scoringPool } from './scoring-pool.js';
import type { Tree } from './tree-buffer.js';

/** A random tree over `cols` features, siblings adjacent, thresholds on a coarse grid (so ties with data occur). */
function randomTree(rng: Rng, cols: number, depth: number, width: number, threshold = () => Math.round(rng.normal() * 4) / 4): Tree {
  const t: Tree = { feature: [], threshold: [], left: [], value: [] };
  const leaf = () => {
    t.feature.push(-1);
    t.threshold.push(0);
    t.left.push(-1);
    t.value.push(...Array.from({ length: width }, () => rng.normal()));
  };
  leaf();
  const queue = [{ id: 0, d: 0 }];
  while (queue.length) {
    const { id, d } = queue.shift()!;
    if (d >= depth || rng.next() > 0.8) continue;
    t.feature[id] = rng.int(cols);
    t.threshold[id] = threshold();
    t.left[id] = t.feature.length;
    for (let c = 0; c < 2; c++) {
      queue.push({ id: t.feature.length, d: d + 1 });
      leaf();
    }
  }
  return t;
}

function reference(trees: Tree[], width: number, outCol: Int32Array, X: Matrix, outDim: number): Float64Array {
  const out = new Float64Array(X.rows * outDim);
  for (let r = 0; r < X.rows; r++) {
    trees.forEach((t, ti) => {
      let n = 0;
      while (t.feature[n] >= 0) n = X.data[r * X.cols + t.feature[n]] > t.threshold[n] ? t.left[n] + 1 : t.left[n];
      for (let k = 0; k < width; k++) out[r * outDim + outCol[ti] + k] += t.value[n * width + k];
    });
  }
  return out;
}

function data(rows: number, cols: number, seed: number): Matrix {
  const rng = new Rng(seed);
  const X = Float32Array.from({ length: rows * cols }, () => Math.round(rng.normal() * 8) / 8);
  for (let i = 0; i < rows; i += 17) X[i * cols + (i % cols)] = NaN;
  return { data: X, rows, cols };
}

describe('Forest scoring', () => {
  const rng = new Rng(3);
  const trees = Array.from({ length: 40 }, () => randomTree(rng, 6, 9, 1));
  const outCol = Int32Array.from(trees, (_, i) => i % 3);

  it('matches a plain tree walk, in WebAssembly and in JavaScript (NaN goes left)', () => {
    const X = data(1001, 6, 1);
    const want = reference(trees, 1, outCol, X, 3);
    for (const kernel of ['auto', 'js'] as const) {
      const out = new Float64Array(X.rows * 3);
      new Forest(trees, 1, outCol, { kernel }).accumulate(X, out, 3);
      expect(out).toEqual(want);
    }
  });

  it('adds several values per leaf and scores a range of trees', () => {
    const wide = Array.from({ length: 12 }, () => randomTree(rng, 6, 6, 3));
    const X = data(333, 6, 2);
    const zeros = new Int32Array(wide.length);
    const out = new Float64Array(X.rows * 3);
    const f = new Forest(wide, 3, zeros);
    f.accumulate(X, out, 3, 5, 0);
    f.accumulate(X, out, 3, 12, 5);
    // Two calls add two partial sums: equal up to rounding.
    const want = reference(wide, 3, zeros, X, 3);
    out.forEach((v, i) => expect(v).toBeCloseTo(want[i], 10));
  });

  it('splits big batches across the scoring threads with the same result', async () => {
    const pool = scoringPool();
    if (!pool) throw new Error('expected a scoring pool: this machine has more than one core');
    for (let i = 0; i < 100 && !pool.ready().length; i++) await new Promise((r) => setTimeout(r, 50));
    const X = data(20_000, 6, 3);
    const f = new Forest(trees, 1, outCol);
    const out = new Float64Array(X.rows * 3);
    f.accumulate(X, out, 3);
    expect(f.lastThreads).toBeGreaterThan(1);
    expect(out).toEqual(reference(trees, 1, outCol, X, 3));
  });

  it('walks threshold bit masks when the forest has at most 63 thresholds, with the same result', async () => {
    // Ternary-style features: thresholds -0.5 and 0.5 only (12 in all over 6 features).
    const fewOf = (width: number) => Array.from({ length: 30 }, () => randomTree(rng, 6, 12, width, () => (rng.next() < 0.5 ? -0.5 : 0.5)));
    const few = fewOf(2);
    const cols = Int32Array.from(few, (_, i) => (i % 2) * 2);
    const rows = (n: number, seed: number): Matrix => {
      const r = new Rng(seed);
      const X = Float32Array.from({ length: n * 6 }, () => [-1, 0, 1, -0.5, 0.5][r.int(5)]);
      for (let i = 0; i < n; i += 13) X[i * 6 + (i % 6)] = NaN;
      return { data: X, rows: n, cols: 6 };
    };
    const forest = new Forest(few, 2, cols);
    expect(forest.kernel).toBe('wasm-bits');
    expect(new Forest(trees, 1, outCol).kernel).toBe('wasm-ranks');
    for (const X of [rows(1, 4), rows(1003, 5), rows(20_000, 6)]) {
      const out = new Float64Array(X.rows * 4);
      forest.accumulate(X, out, 4);
      const want = reference(few, 2, cols, X, 4);
      out.forEach((v, i) => expect(v).toBeCloseTo(want[i], 10));
    }
    // One number per leaf (boosting), one output column.
    const scores = fewOf(1);
    const zero = new Int32Array(scores.length);
    const X = rows(1003, 7);
    const out = new Float64Array(X.rows);
    new Forest(scores, 1, zero).accumulate(X, out, 1);
    const want = reference(scores, 1, zero, X, 1);
    out.forEach((v, i) => expect(v).toBeCloseTo(want[i], 10));
  });

  it('walks categorical nodes (category sets, missing and unknown codes) alike in WebAssembly, JavaScript and threads', async () => {
    // Features 0-1 categorical (5 and 40 categories), 2-3 numeric.
    const nCats = [5, 40];
    const catTrees = Array.from({ length: 25 }, () => {
      const t = randomTree(rng, 4, 7, 1);
      t.categories = t.feature.map((f) => {
        if (f < 0 || f > 1) return null;
        const n = nCats[f];
        const left = [-2, -1, ...Array.from({ length: n }, (_, c) => c)].filter(() => rng.next() < 0.5);
        return { n, left };
      });
      return t;
    });
    const zero = new Int32Array(catTrees.length);
    const want = (X: Matrix) => {
      const out = new Float64Array(X.rows);
      for (let r = 0; r < X.rows; r++) {
        for (const t of catTrees) {
          let n = 0;
          while (t.feature[n] >= 0) {
            const v = X.data[r * X.cols + t.feature[n]];
            const split = t.categories![n];
            let left: boolean;
            if (split) {
              const code = v === -1 ? -1 : Number.isInteger(v) && v >= 0 && v < split.n ? v : -2;
              left = split.left.includes(code);
            } else left = !(v > t.threshold[n]);
            n = left ? t.left[n] : t.left[n] + 1;
          }
          out[r] += t.value[n];
        }
      }
      return out;
    };
    const rows = (n: number, seed: number): Matrix => {
      const r = new Rng(seed);
      const X = new Float32Array(n * 4);
      for (let i = 0; i < n; i++) {
        // Codes, missing (-1), unknown (-2, past the last category, NaN).
        for (let f = 0; f < 2; f++) X[i * 4 + f] = [r.int(nCats[f]), r.int(nCats[f]), -1, -2, nCats[f], NaN][r.int(6)];
        X[i * 4 + 2] = Math.round(r.normal() * 4) / 4;
        X[i * 4 + 3] = r.next() < 0.1 ? NaN : r.normal();
      }
      return { data: X, rows: n, cols: 4 };
    };
    const wasm = new Forest(catTrees, 1, zero);
    const js = new Forest(catTrees, 1, zero, { kernel: 'js' });
    expect(wasm.kernel).toBe('wasm-cat');
    expect(js.kernel).toBe('js');
    const pool = scoringPool();
    for (let i = 0; i < 100 && pool && !pool.ready().length; i++) await new Promise((r) => setTimeout(r, 50));
    for (const X of [rows(3, 1), rows(1001, 2), rows(20_000, 3)]) {
      const expected = want(X);
      for (const f of [wasm, js]) {
        const out = new Float64Array(X.rows);
        f.accumulate(X, out, 1);
        out.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 10));
      }
    }
    expect(wasm.lastThreads).toBeGreaterThan(1);
  });
});
