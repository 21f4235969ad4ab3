import type { NumericColumnSpec } from '../../schema/index.js';

/**
 * A numeric column's domain rules (allowed values, range, whole numbers), prepared once per
 * column: `fits` is the cheap test for the hot paths (request records, batch chunks), `issue`
 * names the rule a value breaks. Files, API records and batch chunks all check through it.
 */
export class NumericDomain {
  private readonly min: number;
  private readonly max: number;
  private readonly integer: boolean;
  /** The allowed values, when the schema lists them (scanned: columns list a handful). */
  private readonly allowed?: Float64Array;
  private readonly allowedText: string;
  /**
   * When every value the rules let through is one of a few whole numbers within 32 of each other
   * (codes such as -1/0/1): bit k set when `lo + k` is one of them, else 0.
   */
  private lo = 0;
  private mask = 0;

  constructor(private readonly spec: NumericColumnSpec) {
    this.min = spec.min ?? -Infinity;
    this.max = spec.max ?? Infinity;
    this.integer = spec.integer ?? false;
    this.allowed = spec.values ? Float64Array.from(spec.values) : undefined;
    this.allowedText = [...new Set(spec.values)].join(', ');
    // Only a listed value can pass; the ones that also pass the other rules become the mask.
    const passing = spec.values?.filter((v) => this.fits(v)) ?? [];
    if (passing.length === 0 || !passing.every(Number.isInteger)) return;
    const lo = passing.reduce((a, b) => Math.min(a, b));
    if (passing.reduce((a, b) => Math.max(a, b)) - lo >= 32) return;
    let mask = 0;
    for (const v of passing) mask |= 1 << (v - lo);
    [this.lo, this.mask] = [lo, mask];
  }

  /** Whether `v` is a finite number inside every rule (one bit test for small whole-number codes). */
  fits(v: number): boolean {
    if (this.mask !== 0) {
      const k = v - this.lo;
      return k >= 0 && k < 32 && (k | 0) === k && ((this.mask >>> k) & 1) === 1;
    }
    if (!Number.isFinite(v) || v < this.min || v > this.max || (this.integer && !Number.isInteger(v))) return false;
    if (this.allowed === undefined) return true;
    for (let k = 0; k < this.allowed.length; k++) if (this.allowed[k] === v) return true;
    return false;
  }

  /** The domain rule (allowed values, range, whole number) a present value breaks, if any. */
  issue(v: number, name: string): { rule: string; message: string } | undefined {
    if (this.fits(v)) return undefined;
    const { spec } = this;
    if (spec.values && !spec.values.includes(v)) return { rule: 'allowed-values', message: `column ${name} must be one of ${this.allowedText}` };
    if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) {
      return { rule: 'range', message: `column ${name} must lie in [${spec.min ?? '-inf'}, ${spec.max ?? 'inf'}]` };
    }
    if (spec.integer && !Number.isInteger(v)) return { rule: 'integer', message: `column ${name} must hold whole numbers` };
    return undefined;
  }
}
