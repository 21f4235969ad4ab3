import { describe, expect, it } from 'vitest';
import { fromRows } from '../data/matrix.js';
import { KnnImputer } from './knn-imputer.js';

const rowsOf = (m: { data: Float32Array; cols: number }) =>
  Array.from({ length: m.data.length / m.cols }, (_, r) => Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)));

describe('KnnImputer', () => {
  it("matches scikit-learn's documented example (k = 2)", () => {
    const X = fromRows([
      [1, 2, NaN],
      [3, 4, 3],
      [NaN, 6, 5],
      [8, 8, 7],
    ]);
    const out = rowsOf(new KnnImputer({ nNeighbors: 2 }).fit(X).transform(X));
    expect(out).toEqual([
      [1, 2, 4],
      [3, 4, 3],
      [5.5, 6, 5],
      [8, 8, 7],
    ]);
  });

  it('matches KNNImputer() (k = 5, nan-euclidean, uniform) from scikit-learn 1.2.1', () => {
    const X = fromRows([
      [1.0, 2.0, NaN, 4.0],
      [2.5, NaN, 3.0, 1.0],
      [0.3, 1.7, 2.2, NaN],
      [4.1, 3.3, 0.9, 2.8],
      [NaN, 0.4, 1.1, 3.9],
      [5.2, 2.9, 4.4, 0.7],
      [1.9, 3.8, NaN, 2.1],
      [3.6, 0.8, 2.7, 4.6],
      [0.9, 4.9, 3.3, 1.5],
      [2.2, 2.4, 1.8, 3.1],
    ]);
    const imputer = new KnnImputer().fit(X);
    const out = rowsOf(imputer.transform(X));
    // Filled cells from sklearn: (0,2)=1.74 (1,1)=3.14 (2,3)=2.82 (4,0)=2.24 (6,2)=2.24
    const filled = [out[0][2], out[1][1], out[2][3], out[4][0], out[6][2]];
    [1.74, 3.14, 2.82, 2.24, 2.24].forEach((v, i) => expect(filled[i]).toBeCloseTo(v, 5));
    expect(out[3]).toEqual(rowsOf(X)[3]);
    const again = KnnImputer.fromJSON(JSON.parse(JSON.stringify(imputer.toJSON())));
    expect(rowsOf(again.transform(X))).toEqual(out);
  });

  it('falls back to the column mean when no donor shares a coordinate', () => {
    const X = fromRows([
      [1, NaN],
      [3, 10],
      [5, 20],
    ]);
    const imp = new KnnImputer({ nNeighbors: 1 }).fit(X);
    expect(rowsOf(imp.transform(fromRows([[NaN, NaN]])))).toEqual([[3, 15]]);
  });
});
