const f32 = new Float32Array(1);
const bits = new Int32Array(f32.buffer);

/**
 * The largest float32 below `c` (a float32). XGBoost sends a row left when float32(x) < c; for
 * float32 inputs that is exactly x <= float32Below(c), the Tree's rule (x <= threshold). `c` is
 * rounded to float32 first (JSON text parses to the nearest double).
 */
export function float32Below(value: number): number {
  const c = Math.fround(value);
  if (c === 0) return -1.401298464324817e-45;
  if (!Number.isFinite(c)) return c > 0 ? 3.4028234663852886e38 : c;
  f32[0] = c;
  bits[0] += c > 0 ? -1 : 1;
  return f32[0];
}

/** The smallest float32 above `t` (a float32): undoes `float32Below`. */
export function float32Above(t: number): number {
  if (t === 0) return 1.401298464324817e-45;
  if (t === -1.401298464324817e-45) return 0;
  if (!Number.isFinite(t)) return t < 0 ? -3.4028234663852886e38 : t;
  f32[0] = t;
  bits[0] += t > 0 ? 1 : -1;
  return f32[0];
}
