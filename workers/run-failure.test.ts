import { describe, expect, it } from 'vitest';
import { failureText, firstFailure } from './run-failure.js';

describe('firstFailure', () => {
  it('names the stage that failed on its own, not the parents it failed', () => {
    const f = firstFailure([
      { stage: 'register', reason: 'child bull:tm-train:run-1-train failed' },
      { stage: 'train', reason: 'child bull:tm-transform:run-1-transform failed' },
      { stage: 'transform', reason: 'child bull:tm-validate:run-1-validate failed' },
      { stage: 'validate', reason: 'value 5 is not one of -1, 0, 1 [rule: allowed_values]' },
    ]);
    expect(f).toEqual({ stage: 'validate', reason: 'value 5 is not one of -1, 0, 1 [rule: allowed_values]' });
    expect(failureText(f!)).toBe('validate failed: value 5 is not one of -1, 0, 1 [rule: allowed_values]');
  });

  it('prefers a chain stage to a family, and falls back to the earliest failure', () => {
    expect(firstFailure([{ stage: 'train-family', reason: 'out of memory' }, { stage: 'train', reason: 'every family failed' }])?.stage).toBe('train');
    expect(firstFailure([{ stage: 'train-family', reason: 'out of memory' }])?.stage).toBe('train-family');
    expect(firstFailure([{ stage: 'register', reason: 'child a failed' }, { stage: 'train', reason: 'child b failed' }])?.stage).toBe('train');
    expect(firstFailure([])).toBeUndefined();
  });
});
