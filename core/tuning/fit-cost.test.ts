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

describe('fit cost beyond the rows measured', () => {
  // A random forest (unlimited depth, 10 trees) on the scale data, CPU s: 0.92 s at 6,666 rows,
  // 2.49 s at 20,000, 9.45 s at 60,000 (the straight line through the first two says 7.2 s).
  const forest = (rowPower: number) => {
    const cost = new FitCost(false, rowPower);
    cost.record(6666, 0.92, 3334, 0.01);
    cost.record(20_000, 2.49, 10_000, 0.03);
    return cost;
  };

  it('grows the part per row with the rows at a rowPower above 1, and stays on the line within the rows measured', () => {
    const slope = (2.49 - 0.92) / (20_000 - 6666);
    const base = 0.92 - slope * 6666;
    expect(forest(1.25).fit(10_000)).toBeCloseTo(base + slope * 10_000);
    expect(forest(1).fit(60_000)).toBeCloseTo(base + slope * 60_000);
    expect(forest(1.25).fit(60_000)).toBeCloseTo(base + slope * 60_000 * 3 ** 0.25);
    expect(forest(1.25).fit(60_000)).toBeGreaterThan(9.2);
  });

  it('sizes a refit by it: the rows whose estimate fits the time, fewer than the line would give', () => {
    const cost = forest(1.25);
    const rows = cost.rowsWithin(9);
    expect(cost.fit(rows)).toBeLessThanOrEqual(9);
    expect(cost.fit(rows + 1)).toBeGreaterThan(9);
    expect(rows).toBeLessThan(60_000);
    expect(forest(1).rowsWithin(9)).toBeGreaterThan(70_000);
  });
});
