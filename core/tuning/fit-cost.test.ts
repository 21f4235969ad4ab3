import { describe, expect, it } from 'vitest';
import { FitCost } from './fit-cost.js';

describe('fit cost estimates', () => {
  it('draws a fixed part and a part per row through the slowest fits at the smallest and largest row counts', () => {
    const cost = new FitCost();
    expect(cost.measured).toBe(false);
    expect(cost.rowsWithin(10)).toBe(Infinity);
    cost.record(1000, 3, 500, 0.1);
    cost.record(1000, 2, 500, 0.1);
    cost.record(3000, 5, 1500, 0.3);
    // 3 s at 1,000 rows, 5 s at 3,000: 2 s + 1 ms a row.
    expect(cost.fit(10_000)).toBeCloseTo(12);
    expect(cost.fold(10_000, 5000)).toBeCloseTo(12 + 1);
    expect(cost.rowsWithin(12)).toBe(10_000);
  });

  it('stays proportional when the row counts are about the same (folds differ by a row)', () => {
    const cost = new FitCost();
    cost.record(833, 1.6, 417, 0.001);
    cost.record(834, 0.9, 416, 0.001);
    cost.record(833, 1.2, 417, 0.001);
    expect(cost.fit(8330)).toBeCloseTo(16);
  });

  it('lets the scoring of a lazy learner grow with its training rows', () => {
    const cost = new FitCost(true);
    cost.record(1000, 0, 500, 1);
    expect(cost.fold(2000, 500)).toBeCloseTo(2);
    expect(new FitCost(false).fold(2000, 500)).toBe(0);
  });
});
