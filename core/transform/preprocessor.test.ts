import { describe, expect, it } from 'vitest';
import type { Frame } from '../data/frame.js';
import { Rng } from '../data/rng.js';
import { Preprocessor } from './preprocessor.js';

/** Numeric and categorical columns with missing cells (NaN, code -1) and an unknown category (-2). */
function frameOf(rows: number, seed: number): Frame {
  const rng = new Rng(seed);
  const num = (missing: number) => Float64Array.from({ length: rows }, () => (rng.next() < missing ? NaN : rng.normal() * 3 + 1));
  const codes = (k: number, missing: number) => Int32Array.from({ length: rows }, () => (rng.next() < missing ? -1 : rng.next() < 0.01 ? -2 : rng.int(k)));
  return {
    nRows: rows,
    columns: [
      { kind: 'numeric', name: 'a', values: num(0.1) },
      { kind: 'categorical', name: 'c', codes: codes(4, 0.05), categories: ['w', 'x', 'y', 'z'] },
      { kind: 'numeric', name: 'b', values: num(0) },
      { kind: 'numeric', name: 'k', values: new Float64Array(rows).fill(7) },
    ],
  };
}

describe('Preprocessor.fitInBlocks', () => {
  for (const [scale, native] of [
    [false, false],
    [true, false],
    [true, true],
  ]) {
    it(`fits the same state as fitTransform, bit for bit (scale ${scale}, native ${native}), from blocks of any size`, async () => {
      const frame = frameOf(1003, 5);
      const opts = { scale, nativeCategoricals: native, imputer: { maxDonors: 200 } };
      const whole = new Preprocessor(opts);
      whole.fitTransform(frame);
      for (const blockRows of [1, 7, 1000, 5000]) {
        let pauses = 0;
        const blocks = await new Preprocessor(opts).fitInBlocks(frame, { blockRows, pause: async () => void pauses++ });
        expect(blocks.toJSON()).toEqual(whole.toJSON());
        expect(pauses).toBeGreaterThanOrEqual(Math.ceil(1003 / blockRows));
      }
    });
  }

  it('needs no imputer when nothing is missing, and then transforms as a fitTransform-fitted one', async () => {
    const frame = frameOf(300, 9);
    frame.columns = frame.columns.filter((c) => c.name === 'b' || c.name === 'k');
    const blocks = await new Preprocessor({ scale: true }).fitInBlocks(frame, { blockRows: 64 });
    expect(blocks.toJSON().state.imputer).toBeNull();
    const whole = new Preprocessor({ scale: true });
    expect(Array.from(blocks.transform(frame).data)).toEqual(Array.from(whole.fitTransform(frame).data));
  });
});

describe('Preprocessor.transform', () => {
  it('scales and imputes into the encoder matrix rather than a copy, with the same values', () => {
    const frame = frameOf(500, 3);
    const pre = new Preprocessor({ scale: true, imputer: { maxDonors: 100 } });
    const fitted = pre.fitTransform(frame);
    expect(Number.isNaN(fitted.data.reduce((s, v) => s + v, 0))).toBe(false);
    const scratch = new Float32Array(fitted.data.length);
    const X = pre.transform(frame, scratch);
    expect(X.data.buffer).toBe(scratch.buffer);
    expect(Array.from(X.data)).toEqual(Array.from(fitted.data));
  });
});
