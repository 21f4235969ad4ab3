import { describe, expect, it } from 'vitest';
import { float32Above, float32Below } from './float32.js';

describe('float32Below', () => {
  it('gives the float32 just below, so x <= it exactly when x < c for every float32 x', () => {
    const f = (v: number) => Math.fround(v);
    for (const c of [1, -1, 0.5, -0.5, f(0.29243973), f(-0.9178274), f(1e-30), f(-1e-30), f(3.3e38)]) {
      const t = float32Below(c);
      expect(t).toBe(f(t));
      expect(t).toBeLessThan(c);
      // Nothing float32 lies strictly between them.
      expect(f((t + c) / 2) === t || f((t + c) / 2) === c).toBe(true);
      expect(float32Above(t)).toBe(c);
    }
  });

  it('steps over zero to the smallest negative subnormal and back', () => {
    expect(float32Below(0)).toBe(-1.401298464324817e-45);
    expect(float32Above(float32Below(0))).toBe(0);
    expect(float32Below(1.401298464324817e-45)).toBe(0);
  });
});
