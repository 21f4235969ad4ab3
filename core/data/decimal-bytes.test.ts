import { describe, expect, it } from 'vitest';
import { DecimalReader } from './decimal-bytes.js';

const reader = new DecimalReader();
const scratch = new Float64Array(1);
/** The decimal that is all of `b[start, end)`, or NaN. */
const parseDecimalBytes = (b: Uint8Array, start: number, end: number) => (reader.read(b, start, end, scratch, 0) === end ? scratch[0] : NaN);
import { Rng } from './rng.js';

const parse = (s: string) => {
  const b = Buffer.from(s);
  return parseDecimalBytes(b, 0, b.length);
};

describe('parseDecimalBytes', () => {
  it('reads plain decimals as Number() does, bit for bit', () => {
    const rng = new Rng(11);
    let read = 0;
    for (let i = 0; i < 20_000; i++) {
      const v = (rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 40 - 20);
      for (const s of [v.toPrecision(1 + rng.int(17)), String(v), v.toExponential(rng.int(16)), v.toFixed(rng.int(12))]) {
        const got = parse(s);
        if (Number.isNaN(got)) continue;
        read++;
        if (!Object.is(got, Number(s))) expect.fail(`${s}: read ${got}, Number() gives ${Number(s)}`);
      }
    }
    expect(read).toBeGreaterThan(40_000);
  });

  it('reads signs, bare dots, exponents and leading zeros', () => {
    expect(Object.is(parse('-0'), -0)).toBe(true);
    expect([parse('+.5'), parse('5.'), parse('-1.25e3'), parse('1E-5'), parse('00012')]).toEqual([0.5, 5, -1250, 1e-5, 12]);
  });

  it('leaves to Number() what it cannot read exactly', () => {
    for (const s of ['', '-', '.', '1e', '1e+', ' 1', '1 ', '0x10', 'Infinity', 'NaN', '1_0', '1234567890123456', '1e23', '0.000000000000000000001234', '1.5.2', 'tcp']) {
      expect(parse(s), s).toBeNaN();
    }
  });
});
