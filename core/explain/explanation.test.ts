import { describe, expect, it } from 'vitest';
import { Rng } from '../data/rng.js';
import { topFeatures } from './explanation.js';

/** The definition: every feature sorted by |contribution| descending, ties by feature order. */
function sortedTop(phi: Float64Array, F: number, i: number, top: number): number[] {
  const order = Array.from({ length: F }, (_, j) => j);
  order.sort((a, b) => Math.abs(phi[i * F + b]) - Math.abs(phi[i * F + a]) || a - b);
  return order.slice(0, Math.min(top, F));
}

describe('topFeatures', () => {
  it('lists the largest |contribution| first, ties in feature order, for every top (rows with ties, zeros, signs and infinities)', () => {
    const rng = new Rng(7);
    const rand = () => rng.next();
    const F = 40;
    const rows = 60;
    const phi = new Float64Array(rows * F);
    // Few distinct sizes, so that ties are common; some exact zeros and infinities.
    for (let k = 0; k < phi.length; k++) phi[k] = (rand() < 0.5 ? -1 : 1) * [0, 0.25, 0.5, 1, 2, Infinity][Math.floor(rand() * (rand() < 0.05 ? 6 : 5))];
    for (let i = 0; i < rows; i++) {
      for (const top of [1, 2, 5, 10, 32, 33, 40, 1000]) expect(topFeatures(phi, F, i, top)).toEqual(sortedTop(phi, F, i, top));
    }
  });

  it('orders a row holding NaN as the full sort does', () => {
    const phi = Float64Array.from([0.5, NaN, -2, 1, NaN, 0.1]);
    expect(topFeatures(phi, 6, 0, 3)).toEqual(sortedTop(phi, 6, 0, 3));
  });

  it('picks the exact largest of distinct sizes: the 3 largest of 6', () => {
    expect(topFeatures(Float64Array.from([0.1, -3, 2, 0, -0.5, 2.5]), 6, 0, 3)).toEqual([1, 5, 2]);
  });
});
