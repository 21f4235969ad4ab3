import { describe, expect, it } from 'vitest';
import { DEFAULT_FAMILIES } from './families.js';
import { refitParams } from './grid-search.js';

const boosting = DEFAULT_FAMILIES.find((f) => f.kind === 'gradient_boosting')!;
const forest = DEFAULT_FAMILIES.find((f) => f.kind === 'random_forest')!;
const groups = (stages: number[]) => [{ base: { learningRate: 0.1 }, stages }];

describe('refit params after a time-cut search', () => {
  it('lets boosting grow to the grid top when its best config sat at the size the plan cut it to', () => {
    const best = { learningRate: 0.1, maxIter: 50 };
    expect(refitParams(boosting, best, groups([50]), 300)).toEqual({ learningRate: 0.1, maxIter: 300 });
  });

  it('keeps the best size when the search scored larger ones or was not cut', () => {
    const best = { learningRate: 0.1, maxIter: 50 };
    // The plan kept 100: the search preferred 50 over it.
    expect(refitParams(boosting, best, groups([50, 100]), 300)).toBe(best);
    // Nothing cut.
    expect(refitParams(boosting, { learningRate: 0.1, maxIter: 300 }, groups([50, 100, 200, 300]), 300)).toEqual({ learningRate: 0.1, maxIter: 300 });
  });

  it('leaves families that do not end their own ensemble alone', () => {
    const best = { nEstimators: 50 };
    expect(refitParams(forest, best, [{ base: {}, stages: [50] }], 200)).toBe(best);
  });
});
