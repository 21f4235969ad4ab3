import { describe, expect, it } from 'vitest';
import { LinearShap } from './linear-shap.js';

describe('LinearShap', () => {
  it('matches a hand-worked binary case', () => {
    // z = 0.5 + 2 x0 - 1 x1 + 0 x2; means (1, 3, 7); row (2, 1, 100).
    const shap = new LinearShap({ weights: [2, -1, 0], bias: [0.5], cols: 3, D: 1, means: [1, 3, 7] }, 0);
    // base = 0.5 + 2*1 - 1*3 = -0.5
    expect(shap.expected).toBeCloseTo(-0.5, 12);
    const phi = new Float64Array(3);
    shap.explain([2, 1, 100], 0, phi);
    // phi0 = 2 (2 - 1) = 2; phi1 = -1 (1 - 3) = 2; phi2 = 0 (a zero weight explains nothing).
    expect(Array.from(phi)).toEqual([2, 2, 0]);
    // base + sum = z(x) = 0.5 + 4 - 1 = 3.5
    expect(shap.expected + phi[0] + phi[1] + phi[2]).toBeCloseTo(3.5, 12);
  });

  it('reads one class column of multi-class weights (cols x D, row-major)', () => {
    // Two columns, three classes: weights[j * 3 + c].
    const weights = [1, 2, 3, 4, 5, 6];
    const shap = new LinearShap({ weights, bias: [0, 10, 20], cols: 2, D: 3, means: [1, 1] }, 2);
    expect(shap.expected).toBe(20 + 3 + 6);
    const phi = new Float64Array(2);
    shap.explain([0, 0, 3, 0], 2, phi);
    expect(Array.from(phi)).toEqual([3 * 2, 6 * -1]);
  });
});
