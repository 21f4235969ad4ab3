import { describe, expect, it } from 'vitest';
import { gaussLegendre } from './gauss-legendre.js';

describe('gaussLegendre', () => {
  it('integrates t^k over [0, 1] exactly for every k <= 2n - 1, n = 1 .. 32', () => {
    for (let n = 1; n <= 32; n++) {
      const { nodes, weights } = gaussLegendre(n);
      for (let k = 0; k <= 2 * n - 1; k++) {
        let s = 0;
        for (let m = 0; m < n; m++) s += weights[m] * nodes[m] ** k;
        expect(Math.abs(s - 1 / (k + 1))).toBeLessThan(1e-14);
      }
    }
  });

  it('misses t^2n by the textbook error (n!)^4 / ((2n + 1) ((2n)!)^2): the rule has exactly the degree it claims', () => {
    let fn = 1;
    for (let n = 1; n <= 6; n++) {
      fn *= n;
      let f2n = 1;
      for (let k = 2; k <= 2 * n; k++) f2n *= k;
      const { nodes, weights } = gaussLegendre(n);
      let s = 0;
      for (let m = 0; m < n; m++) s += weights[m] * nodes[m] ** (2 * n);
      const error = fn ** 4 / ((2 * n + 1) * f2n * f2n);
      expect(Math.abs((1 / (2 * n + 1) - s) / error - 1)).toBeLessThan(1e-6);
    }
  });

  it('has ascending nodes inside (0, 1) and positive weights', () => {
    const { nodes, weights } = gaussLegendre(7);
    expect(nodes[0]).toBeGreaterThan(0);
    expect(nodes[6]).toBeLessThan(1);
    for (let m = 1; m < 7; m++) expect(nodes[m]).toBeGreaterThan(nodes[m - 1]);
    expect(weights.every((w) => w > 0)).toBe(true);
    // n = 1: the midpoint rule.
    expect(Array.from(gaussLegendre(1).nodes)).toEqual([0.5]);
    expect(Array.from(gaussLegendre(1).weights)).toEqual([1]);
  });

  it('refuses a node count that is not a whole number >= 1', () => {
    expect(() => gaussLegendre(0)).toThrow(/whole number/);
    expect(() => gaussLegendre(2.5)).toThrow(/whole number/);
  });
});
