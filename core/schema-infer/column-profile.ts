/** What one pass over a column's cells learnt, with memory bounded by `maxDistinct`. */
export interface ColumnSummary {
  name: string;
  /** Cells read as missing (empty or one of the missing-value tokens). */
  missing: number;
  /** Cells with a value. */
  present: number;
  /** Present cells that are not finite numbers, and the first of them. */
  nonNumeric: number;
  firstNonNumeric?: string;
  /** Whether every numeric cell was a whole number. */
  integer: boolean;
  /** Smallest and largest numeric value (NaN when there was none). */
  min: number;
  max: number;
  /** Distinct present values with their counts, in first-seen order; undefined past the cap. */
  distinct?: Map<string, number>;
}

/**
 * Profiles one column from its text cells. Distinct values are tracked up to `maxDistinct`
 * (beyond it only counts and numeric statistics are kept, so memory stays bounded); a value is
 * parsed as a number once per distinct value while the column is below the cap, which keeps code
 * and category columns cheap at a million rows.
 */
export class ColumnProfile {
  private missing = 0;
  private present = 0;
  private nonNumeric = 0;
  private firstNonNumeric?: string;
  private integer = true;
  private min = Infinity;
  private max = -Infinity;
  private distinct: Map<string, number> | undefined = new Map();
  /** Whether each tracked distinct value parsed as a number (dropped with them past the cap). */
  private readonly textIsNumber = new Map<string, boolean>();

  private readonly longestToken: number;

  constructor(
    readonly name: string,
    private readonly missingTokens: ReadonlySet<string>,
    private readonly maxDistinct: number,
  ) {
    let longest = 0;
    for (const t of missingTokens) longest = Math.max(longest, t.length);
    this.longestToken = longest;
  }

  add(raw: string | undefined): void {
    // Trimming and the token lookup are skipped when they cannot matter: most cells are neither
    // padded nor as short as a missing-value token (a million rows of 45 columns are 45M calls).
    const cell = raw === undefined ? '' : needsTrim(raw) ? raw.trim() : raw;
    if (cell === '' || (cell.length <= this.longestToken && this.missingTokens.has(cell))) {
      this.missing++;
      return;
    }
    this.present++;
    const seen = this.distinct;
    if (seen) {
      const n = seen.get(cell);
      if (n !== undefined) {
        seen.set(cell, n + 1);
        // Same text, same number: its statistics were taken when it was first seen.
        if (this.textIsNumber.get(cell) !== true) this.nonNumeric++;
        return;
      }
      if (seen.size < this.maxDistinct) seen.set(cell, 1);
      else {
        this.distinct = undefined;
        this.textIsNumber.clear();
      }
    }
    this.observe(cell);
  }

  private observe(cell: string): void {
    const v = Number(cell);
    const numeric = Number.isFinite(v);
    if (this.distinct) this.textIsNumber.set(cell, numeric);
    if (!numeric) {
      this.nonNumeric++;
      this.firstNonNumeric ??= cell;
      return;
    }
    if (!Number.isInteger(v)) this.integer = false;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  summary(): ColumnSummary {
    const numbers = this.present - this.nonNumeric;
    return {
      name: this.name,
      missing: this.missing,
      present: this.present,
      nonNumeric: this.nonNumeric,
      firstNonNumeric: this.firstNonNumeric,
      integer: this.integer,
      min: numbers > 0 ? this.min : NaN,
      max: numbers > 0 ? this.max : NaN,
      distinct: this.distinct,
    };
  }
}

/** Whether a cell starts or ends with whitespace (char codes up to 32, as String.trim's common case). */
function needsTrim(s: string): boolean {
  return s.length > 0 && (s.charCodeAt(0) <= 32 || s.charCodeAt(s.length - 1) <= 32);
}
