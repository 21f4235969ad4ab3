import { describe, expect, it } from 'vitest';
import { Rng } from '../../data/rng.js';
import { sortFloat64 } from './radix-sort.js';

describe('sortFloat64', () => {
  it('sorts as the typed-array sort does: negatives, -0 before 0, ties, infinities, tiny and huge values', () => {
    const rng = new Rng(3);
    const specials = [0, -0, Infinity, -Infinity, 5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308, 1, -1, 1, 1];
    const x = Float64Array.from({ length: 50_000 }, (_, i) => (i < specials.length ? specials[i] : i % 3 ? Number((rng.normal() * 100).toPrecision(3)) : rng.int(5) - 2));
    const expected = Float64Array.from(x).sort();
    const got = sortFloat64(Float64Array.from(x));
    expect(Array.from(got, (v) => Object.is(v, -0) ? '-0' : v)).toEqual(Array.from(expected, (v) => Object.is(v, -0) ? '-0' : v));
  });

  it('sorts a view at an offset in place and leaves the rest of its buffer alone', () => {
    const buf = Float64Array.from({ length: 10_000 }, (_, i) => 10_000 - i);
    const view = buf.subarray(1_000, 9_000);
    sortFloat64(view);
    expect(view[0]).toBe(1_001);
    expect(view[7_999]).toBe(9_000);
    expect(buf[0]).toBe(10_000);
    expect(buf[9_999]).toBe(1);
  });
});
