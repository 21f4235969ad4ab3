import { describe, expect, it } from 'vitest';
import { distinctRows } from './distinct-rows.js';
import { fromRows } from './matrix.js';

describe('distinctRows', () => {
  it('merges equal rows in order of first appearance, counting each class they stand for', () => {
    const X = fromRows([[1, 2], [3, 4], [1, 2], [0, 5], [3, 4], [1, 2]]);
    const { X: merged, counts } = distinctRows(X, Int32Array.from([0, 1, 1, 0, 1, 1]), 2);
    expect(merged.rows).toBe(3);
    expect(Array.from(merged.data)).toEqual([1, 2, 3, 4, 0, 5]);
    expect(Array.from(counts)).toEqual([1, 2, 0, 2, 1, 0]);
  });

  it('merges -0 with 0 and never merges rows holding NaN', () => {
    const X = fromRows([[0, 1], [-0, 1], [NaN, 1], [NaN, 1]]);
    const { X: merged, counts } = distinctRows(X, Int32Array.from([0, 0, 1, 1]), 2);
    expect(merged.rows).toBe(3);
    expect(Array.from(counts)).toEqual([2, 0, 0, 1, 0, 1]);
  });

  it('tells apart rows that differ in one column among many (hash collisions resolved by value)', () => {
    const rows = Array.from({ length: 4000 }, (_, i) => Array.from({ length: 12 }, (_, c) => (c === i % 12 ? (i % 7) : 0)));
    const { X: merged } = distinctRows(fromRows(rows), new Int32Array(4000), 1);
    expect(merged.rows).toBe(new Set(rows.map((r) => r.join(','))).size);
  });

  it('returns the input matrix itself when no two rows are equal', () => {
    const X = fromRows([[1, 2], [3, 4], [NaN, 4]]);
    const { X: merged, counts } = distinctRows(X, Int32Array.from([0, 1, 1]), 2);
    expect(merged).toBe(X);
    expect(Array.from(counts)).toEqual([1, 0, 0, 1, 0, 1]);
  });
});
