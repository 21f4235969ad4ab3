import { describe, expect, it } from 'vitest';
import { Binner, categoryBin, fitCategoryBins } from './binning.js';

describe('categorical bins', () => {
  it('gives frequent categories their own bin and groups rare, surplus and unknown ones in the last', () => {
    // 300 categories: code c appears 300 - c times, so codes past 290 are rare (< MIN_CATEGORY_ROWS) and only 253 fit a uint8 code.
    const values: number[] = [];
    for (let c = 0; c < 300; c++) for (let k = 0; k < 300 - c; k++) values.push(c);
    values.push(-1, -1);
    const bins = fitCategoryBins(values, 300, 255);
    expect(bins.other).toBe(254);
    expect(categoryBin(bins, -1)).toBe(0);
    for (let c = 0; c < 253; c++) expect(categoryBin(bins, c)).toBe(c + 1);
    for (const v of [253, 299, 300, -2, NaN, 1.5]) expect(categoryBin(bins, v)).toBe(bins.other);
  });

  it('bins categorical columns of a matrix by category and leaves numeric ones to quantiles', () => {
    const rows = 400;
    const data = new Float32Array(rows * 2);
    for (let i = 0; i < rows; i++) {
      data[2 * i] = i / 10;
      data[2 * i + 1] = i < 5 ? 3 : i % 3; // category 3 is rare
    }
    const binner = Binner.fit({ data, rows, cols: 2 }, 255, 0, 200_000, [{ column: 1, categories: 4 }]);
    const X = binner.transform({ data, rows, cols: 2 });
    expect(Array.from(X.categorical)).toEqual([0, 1]);
    expect(X.nBins[1]).toBe(5); // missing, 0, 1, 2, other
    expect(X.codes[rows + 0]).toBe(4);
    expect(X.codes[rows + 6]).toBe(1);
    expect(X.nBins[0]).toBe(255);
  });
});
