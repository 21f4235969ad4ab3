import { describe, expect, it } from 'vitest';
import { decodeOutOfFold, encodeOutOfFold } from './oof-codec.js';
import { chooseThreshold } from './threshold-rule.js';

describe('threshold rules', () => {
  // 4 threats, 6 others (hand-worked cuts: 0.9 -> tp1 fp0, 0.8 -> 2/0, 0.7 -> 3/1, 0.6 -> 3/2, 0.4 -> 3/3, 0.35 -> 4/3, ...).
  const y = [1, 1, 0, 1, 0, 0, 1, 0, 0, 0];
  const s = [0.9, 0.8, 0.7, 0.7, 0.6, 0.4, 0.35, 0.3, 0.2, 0.1];

  it('maximises F1 by default', () => {
    // F1 at 0.7: 2*3/(6+1+1) = 0.75, the best cut.
    // Halfway between the cut's score and the next lower one: 0.7 and 0.6.
    const c = chooseThreshold(y, s);
    expect(c.threshold).toBeCloseTo(0.65, 12);
    expect(c.at.f1).toBeCloseTo(0.75, 12);
    expect(c.rule).toEqual({ maxF1: true });
  });

  it('takes the most recall within a false-positive rate', () => {
    expect(chooseThreshold(y, s, { maxFalsePositiveRate: 0 }).threshold).toBeCloseTo(0.75, 12);
    expect(chooseThreshold(y, s, { maxFalsePositiveRate: 1 / 6 }).threshold).toBeCloseTo(0.65, 12);
    expect(chooseThreshold(y, s, { maxFalsePositiveRate: 0.5 }).at).toMatchObject({ tp: 4, fp: 3 });
  });

  it('flags nothing when even the top score breaks the bound', () => {
    const c = chooseThreshold([0, 1], [0.9, 0.5], { maxFalsePositiveRate: 0 });
    expect(c.threshold).toBeGreaterThan(0.9);
    expect(c.at).toMatchObject({ tp: 0, fp: 0 });
  });

  it('takes the fewest false alarms reaching a recall, the most recall keeping a precision', () => {
    expect(chooseThreshold(y, s, { minRecall: 0.75 }).at).toMatchObject({ tp: 3, fp: 1 });
    expect(chooseThreshold(y, s, { minRecall: 1 }).threshold).toBeCloseTo(0.325, 12);
    expect(chooseThreshold(y, s, { minPrecision: 0.75 }).at).toMatchObject({ tp: 3, fp: 1 });
    expect(chooseThreshold(y, s, { minPrecision: 1 }).at).toMatchObject({ tp: 2, fp: 0 });
    // Every row flagged: just below the lowest score.
    expect(chooseThreshold([1, 0], [0.5, 0.5], { minRecall: 1 }).at).toMatchObject({ tp: 1, fp: 1 });
    const never = chooseThreshold([0, 0], [0.9, 0.5], { minPrecision: 0.5 });
    expect(never).toMatchObject({ met: false, note: expect.stringContaining('nothing is flagged') });
  });

  it('round-trips out-of-fold scores through their binary artifact (raw scores as float32)', () => {
    const o = { score: Float64Array.from([0.25, 0.5]), calibrated: Float64Array.from([0.3, 0.6]), isThreat: Uint8Array.from([0, 1]), fold: Uint8Array.from([0, 1]) };
    const bytes = encodeOutOfFold(o);
    expect(bytes.byteLength).toBe(12 + 28);
    const back = decodeOutOfFold(bytes);
    expect(Array.from(back.score)).toEqual([0.25, 0.5]);
    expect(back.calibrated[1]).toBe(0.6);
    expect(Array.from(back.isThreat)).toEqual([0, 1]);
    expect(() => decodeOutOfFold(bytes.slice(0, 20))).toThrow(/bytes for 2 rows/);
    expect(() => decodeOutOfFold(new Uint8Array(16))).toThrow(/not an out-of-fold/);
  });
});
