import type { ColumnSpec, DatasetSchema } from '../../schema/index.js';
import { NumericDomain } from '../validation/numeric-domain.js';
import { UNKNOWN_CATEGORY } from './dataset-builder.js';
import type { Column, Frame } from './frame.js';
import { unknownRules, type UnknownCounts } from './unknown-category.js';

/** One problem in one record: `row` counts records from 1. */
export interface RecordIssue {
  row: number;
  field: string;
  rule: string;
  message: string;
}

export interface EncodedRecords {
  frame: Frame;
  /** Missing, extra or wrongly typed keys: the records do not fit the schema's shape. */
  keyIssues: RecordIssue[];
  /** Values outside their column's domain (same rules as file input). */
  valueIssues: RecordIssue[];
  /** Unseen categories scored anyway (columns with `unknown: ignore | other`), per column. */
  unknown: UnknownCounts;
}

type Encode = (value: unknown, row: number, issues: RecordIssue[], unknown: UnknownCounts) => number;

/**
 * Turns JSON records (feature name -> value) into a frame laid out by the schema, checking keys,
 * types and value domains in one pass. Everything per column is prepared once per schema, so a
 * one-record request costs microseconds; the rules are those `DatasetBuilder` and
 * `validateDataset` apply to files.
 */
export class RecordEncoder {
  private readonly names: string[];
  private readonly known: Set<string>;
  private readonly missing: Set<string>;
  private readonly encoders: Encode[];
  /** Per feature: its domain rules when numeric. */
  private readonly numeric: (NumericDomain | undefined)[];

  constructor(private readonly schema: DatasetSchema) {
    // Property-key copies of the names (V8 internalizes keys): comparing them to a parsed record's
    // keys is then a pointer check, not a character loop.
    this.names = schema.features.map((f) => Object.keys({ [f.name]: 0 })[0]);
    this.known = new Set(this.names);
    this.missing = new Set(schema.missingValues);
    this.numeric = schema.features.map((spec) => (spec.kind === 'numeric' ? new NumericDomain(spec) : undefined));
    const unseen = new Map(unknownRules(schema).map((r) => [r.feature, r.code]));
    this.encoders = schema.features.map((spec, j) => this.encoderFor(spec, this.numeric[j], unseen.get(j)));
  }

  private isNull(v: unknown): boolean {
    return v === null || v === undefined || (typeof v === 'string' && this.missing.has(v.trim()));
  }

  /** `domain`: the column's rules when it is numeric; `unseen`: the code of an unlisted category, unless refused. */
  private encoderFor(spec: ColumnSpec, domain: NumericDomain | undefined, unseen: number | undefined): Encode {
    const { name } = spec;
    const nullIssue = (row: number, issues: RecordIssue[]) => {
      if (!spec.nullable) issues.push({ row, field: name, rule: 'not-null', message: `column ${name} has empty cells but is not nullable` });
    };
    if (spec.kind === 'numeric') {
      const rules = domain!;
      return (v, row, issues) => {
        if (this.isNull(v)) {
          nullIssue(row, issues);
          return NaN;
        }
        const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
        if (!Number.isFinite(x)) {
          issues.push({ row, field: name, rule: 'numeric', message: `column ${name} must hold numbers` });
          return NaN;
        }
        const broken = rules.issue(x, name);
        if (broken) issues.push({ row, field: name, ...broken });
        return x;
      };
    }
    const codes = new Map(spec.values.map((c, i) => [String(c), i]));
    return (v, row, issues, unknown) => {
      if (this.isNull(v)) {
        nullIssue(row, issues);
        return -1;
      }
      const code = codes.get(typeof v === 'string' ? v.trim() : String(v));
      if (code !== undefined) return code;
      if (unseen !== undefined) {
        unknown[name] = (unknown[name] ?? 0) + 1;
        return unseen;
      }
      issues.push({ row, field: name, rule: 'allowed-values', message: `column ${name} has a category outside its allowed values` });
      return UNKNOWN_CATEGORY;
    };
  }

  /**
   * Stores record i when it names exactly the features, in schema order (JSON from most clients),
   * each a finite number inside its numeric column's rules: read key by key with for-in (no key
   * or value arrays, no lookup by name). False when anything else turns up; the caller then
   * encodes the record in full, overwriting what was stored.
   */
  private storeInOrder(rec: Record<string, unknown>, i: number, out: (Float64Array | Int32Array)[]): boolean {
    const names = this.names;
    let j = 0;
    for (const key in rec) {
      if (j === names.length || key !== names[j]) return false;
      const v = rec[key];
      const rules = this.numeric[j];
      if (rules === undefined || typeof v !== 'number' || !rules.fits(v)) return false;
      out[j++][i] = v;
    }
    return j === names.length;
  }

  encode(records: Record<string, unknown>[]): EncodedRecords {
    const n = records.length;
    const keyIssues: RecordIssue[] = [];
    const valueIssues: RecordIssue[] = [];
    const unknown: UnknownCounts = {};
    const columns: Column[] = this.schema.features.map((spec) =>
      spec.kind === 'numeric'
        ? { kind: 'numeric', name: spec.name, values: new Float64Array(n) }
        : { kind: 'categorical', name: spec.name, codes: new Int32Array(n), categories: spec.values.map(String) },
    );
    // Each column's output array, typed per kind, for the stores below.
    const out = columns.map((c) => (c.kind === 'numeric' ? c.values : c.codes));
    for (let i = 0; i < n; i++) {
      const rec = records[i];
      if (this.storeInOrder(rec, i, out)) continue;
      const row = i + 1;
      const keys = Object.keys(rec);
      let present = 0;
      for (let j = 0; j < this.names.length; j++) {
        const name = this.names[j];
        const v = rec[name];
        if (v === undefined && !Object.hasOwn(rec, name)) {
          keyIssues.push({ row, field: name, rule: 'missing-feature', message: `${name} is required` });
          continue;
        }
        present++;
        if (v !== null && typeof v !== 'number' && typeof v !== 'string') {
          keyIssues.push({ row, field: name, rule: 'type', message: `${name} must be a number or a string` });
          continue;
        }
        // A finite number inside its numeric column's rules is stored as is; everything else
        // (categories, strings, nulls, broken rules) goes through the column's full encoder.
        const rules = this.numeric[j];
        out[j][i] = rules !== undefined && typeof v === 'number' && rules.fits(v) ? v : this.encoders[j](v, row, valueIssues, unknown);
      }
      // More keys than the features it has: name the ones that are not features.
      if (keys.length !== present) {
        for (const key of keys) {
          if (!this.known.has(key)) keyIssues.push({ row, field: key, rule: 'extra-feature', message: `${key} is not a feature of this model` });
        }
      }
    }
    return { frame: { nRows: n, columns }, keyIssues, valueIssues, unknown };
  }
}
