const ZERO = 0x30;
const DOT = 0x2e;
const PLUS = 0x2b;
const MINUS = 0x2d;
/** 10^i, exact as doubles up to 10^22. */
const POW10 = Float64Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Reads a plain decimal (`-12.5`, `3e-4`, `.5`, `7.`) at the start of UTF-8 bytes exactly as
 * `Number()` would, or NaN when it cannot do so exactly: with at most 15 significant digits and a
 * power of ten within 10^22, one IEEE multiply or divide of two exact doubles is correctly
 * rounded (Clinger's fast path), so the value equals Number()'s. Anything else (16+ significant
 * digits, big exponents, hex, `Infinity`, whitespace) is left for `Number()` to judge.
 */
export class DecimalReader {
  /**
   * Reads the decimal at `b[start]` (no further than `limit`) into `out[slot]`, NaN when it has none
   * it can read exactly; returns the position of the first byte that is not part of it. The value
   * goes into a Float64Array rather than being returned: a double returned from a call that is not
   * inlined is boxed, one allocation per cell.
   */
  read(b: Uint8Array, start: number, limit: number, out: Float64Array, slot: number): number {
    out[slot] = NaN;
    // Reading past the end would give undefined, and a read out of bounds deoptimizes this function
    // (a field that starts where a chunk ends does this once a chunk or so).
    if (start >= limit) return start;
    let i = start;
    // A sign factor rather than a negation: every number takes the multiply, so its type feedback
    // is there when the function is compiled (a negation first seen later deoptimizes it).
    let sign = 1;
    if (b[i] === MINUS) {
      sign = -1;
      i++;
    } else if (b[i] === PLUS) i++;
    let mantissa = 0;
    const digitsStart = i;
    for (; i < limit; i++) {
      const d = b[i] - ZERO;
      if (d < 0 || d > 9) break;
      mantissa = mantissa * 10 + d;
    }
    let digits = i - digitsStart;
    let scale = 0;
    if (i < limit && b[i] === DOT) {
      const fraction = ++i;
      for (; i < limit; i++) {
        const d = b[i] - ZERO;
        if (d < 0 || d > 9) break;
        mantissa = mantissa * 10 + d;
      }
      scale = i - fraction;
      digits += scale;
    }
    // Leading zeros are not significant (and add nothing to the mantissa), so count only past 15.
    if (digits === 0 || (digits > 15 && significantDigits(b, digitsStart, i) > 15)) return i;
    let exponent = 0;
    if (i < limit && (b[i] | 0x20) === 0x65) {
      i++;
      let expNegative = false;
      if (i < limit && b[i] === MINUS) {
        expNegative = true;
        i++;
      } else if (i < limit && b[i] === PLUS) i++;
      const first = i;
      for (; i < limit && i - first < 4; i++) {
        const d = b[i] - ZERO;
        if (d < 0 || d > 9) break;
        exponent = exponent * 10 + d;
      }
      if (i === first) return i;
      if (expNegative) exponent = -exponent;
    }
    const net = exponent - scale;
    let value: number;
    if (mantissa === 0) value = 0;
    else if (net >= 0 && net <= 22) value = mantissa * POW10[net];
    else if (net < 0 && net >= -22) value = mantissa / POW10[-net];
    else return i;
    out[slot] = sign * value;
    return i;
  }
}

/** Digits in `b[start, end)` from the first non-zero one on (the dot is skipped). */
function significantDigits(b: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end && (b[i] === ZERO || b[i] === DOT)) i++;
  let count = 0;
  for (; i < end; i++) if (b[i] !== DOT) count++;
  return count;
}
