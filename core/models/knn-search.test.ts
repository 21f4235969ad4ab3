import { describe, expect, it } from 'vitest';
import { Rng } from '../data/rng.js';
import { matrix } from '../data/matrix.js';
import { BruteSearch, chooseSearch, KdTree, type NeighbourSearch } from './knn-search.js';
import { distanceModule } from './knn-kernel.js';
import { Knn } from './knn.js';

/** Points on a coarse integer grid (many equal distances), some repeated, plus float32-rounded normals. */
function points(rng: Rng, m: number, cols: number, grid: boolean): Float64Array {
  const p = new Float64Array(m * cols);
  for (let i = 0; i < m; i++) {
    if (i > 0 && rng.next() < 0.1) {
      const src = rng.int(i);
      p.set(p.subarray(src * cols, (src + 1) * cols), i * cols);
      continue;
    }
    for (let c = 0; c < cols; c++) p[i * cols + c] = grid ? rng.int(3) - 1 : Math.fround(rng.normal());
  }
  return p;
}

function answers(s: NeighbourSearch, queries: Float64Array, cols: number, k: number) {
  const out: { found: number; dist: number[]; idx: number[] }[] = [];
  const dist = new Float64Array(k);
  const idx = new Int32Array(k);
  for (let o = 0; o < queries.length; o += cols) {
    const found = s.search(queries.subarray(o, o + cols), k, dist, idx);
    out.push({ found, dist: Array.from(dist.subarray(0, found)), idx: Array.from(idx.subarray(0, found)) });
  }
  return out;
}

const pad = (xs: number[], k: number) => xs.concat(new Array<number>(k - xs.length).fill(0));

describe('neighbour searches', () => {
  it('has the WebAssembly distance kernel here', () => {
    expect(distanceModule).not.toBeNull();
  });

  const cases = [
    { m: 700, cols: 3, grid: true },
    { m: 900, cols: 8, grid: true },
    { m: 600, cols: 5, grid: false },
    { m: 400, cols: 40, grid: false },
    { m: 300, cols: 7, grid: false },
    { m: 50, cols: 4, grid: true },
  ];
  for (const [n, { m, cols, grid }] of cases.entries()) {
    it(`KD-tree finds the same neighbours as brute force, ties to the lower index (${m} x ${cols}, ${grid ? 'grid with ties' : 'normal'})`, () => {
      const rng = new Rng(100 + n);
      const pts = points(rng, m, cols, grid);
      // Queries: stored points (distance 0, duplicates), fresh grid / normal points, midpoints.
      const queries = new Float64Array(120 * cols);
      queries.set(pts.subarray(0, 40 * cols));
      queries.set(points(rng, 40, cols, grid), 40 * cols);
      for (let i = 80; i < 120; i++) for (let c = 0; c < cols; c++) queries[i * cols + c] = (pts[rng.int(m) * cols + c] + pts[rng.int(m) * cols + c]) / 2;
      const brute = new BruteSearch(pts, cols, { wasm: false });
      const kernel = new BruteSearch(pts, cols);
      const trees = [1, 4, 32].map((leaf) => new KdTree(pts, cols, leaf));
      for (const k of [1, 3, 9, 60, m + 5]) {
        const want = answers(brute, queries, cols, k);
        expect(want[0].found).toBe(Math.min(k, m));
        for (const tree of trees) expect(answers(tree, queries, cols, k)).toEqual(want);
        // Many rows at once through the kernel (4 rows a call, a partial last block).
        const rows = queries.length / cols - 3;
        expect(answers(kernel, queries, cols, k)).toEqual(want);
        const many = kernel.searchRows(queries, rows, k);
        expect(Array.from(many.found)).toEqual(want.slice(0, rows).map((w) => w.found));
        expect(Array.from(many.dist)).toEqual(want.slice(0, rows).flatMap((w) => pad(w.dist, k)));
        expect(Array.from(many.idx)).toEqual(want.slice(0, rows).flatMap((w) => pad(w.idx, k)));
      }
    });
  }

  it('breaks a tie at the k-th place by the lower point index', () => {
    // Four points at distance 1 from the origin; the tree must keep indices 0 and 1 whatever it visits first.
    const pts = Float64Array.from([0, 1, 1, 0, 0, -1, -1, 0]);
    const tree = new KdTree(pts, 2, 1);
    const dist = new Float64Array(2);
    const idx = new Int32Array(2);
    expect(tree.search(new Float64Array(2), 2, dist, idx)).toBe(2);
    expect(Array.from(idx)).toEqual([0, 1]);
    expect(Array.from(dist)).toEqual([1, 1]);
  });

  it('auto keeps the tree where probe queries look at few points, and scans otherwise', () => {
    const rng = new Rng(7);
    const low = new Float64Array(4000 * 3).map(() => rng.normal());
    const wide = new Float64Array(4000 * 12).map(() => rng.normal());
    const high = new Float64Array(4000 * 60).map(() => rng.normal());
    expect(chooseSearch(low, 3, 5, 'auto').algorithm).toBe('kd_tree');
    expect(chooseSearch(wide, 12, 5, 'auto').algorithm).toBe('brute');
    expect(chooseSearch(high, 60, 5, 'auto').algorithm).toBe('brute');
    expect(chooseSearch(low.subarray(0, 100 * 3), 3, 5, 'auto').algorithm).toBe('brute');
    expect(chooseSearch(low, 3, 5, 'brute').algorithm).toBe('brute');
    expect(chooseSearch(high, 60, 5, 'kd_tree').algorithm).toBe('kd_tree');
  });
});

describe('Knn with either search', () => {
  it('gives identical probabilities for every neighbour count and weighting', async () => {
    const rng = new Rng(3);
    const rows = 1500;
    const cols = 4;
    const X = matrix(rows, cols, Float32Array.from({ length: rows * cols }, () => rng.int(4)));
    const y = Int32Array.from({ length: rows }, (_, i) => (X.data[i * cols] + X.data[i * cols + 1] + rng.int(2)) % 3);
    const Q = matrix(300, cols, Float32Array.from({ length: 300 * cols }, () => rng.int(5) - 0.5 * rng.int(2)));
    for (const weights of ['uniform', 'distance'] as const) {
      const fitted = await Promise.all(
        (['brute', 'kd_tree'] as const).map(async (algorithm) => {
          const m = new Knn({ nNeighbors: 9, weights, algorithm });
          await m.fit(X, y, { nClasses: 3 });
          expect(m.algorithm).toBe(algorithm);
          return m.predictProbaStaged(Q, [1, 3, 9, 40]);
        }),
      );
      expect(fitted[1]).toEqual(fitted[0]);
    }
  });

  it('loads a model file written before the algorithm param existed', () => {
    const json = { kind: 'knn', version: 1, params: { nNeighbors: 1, weights: 'uniform' }, state: { nClasses: 2, cols: 1, points: [0, 1], counts: [1, 0, 0, 1] } };
    const m = Knn.fromJSON(json);
    expect(Array.from(m.predictProba(matrix(2, 1, Float32Array.from([0.2, 0.9]))))).toEqual([1, 0, 0, 1]);
  });
});
