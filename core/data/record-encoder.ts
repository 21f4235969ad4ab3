import type { ColumnSpec, DatasetSchema } from '../../schema/index.js';
import { numericDomainIssue } from '../validation/validate-dataset.js';
import { UNKNOWN_CATEGORY } from './dataset-builder.js';
import type { Column, Frame } from './frame.js';

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
}

type Encode = (value: unknown, row: number, issues: RecordIssue[]) => number;

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

  constructor(private readonly schema: DatasetSchema) {
    this.names = schema.features.map((f) => f.name);
    this.known = new Set(this.names);
    this.missing = new Set(schema.missingValues);
    this.encoders = schema.features.map((spec) => this.encoderFor(spec));
  }

  private isNull(v: unknown): boolean {
    return v === null || v === undefined || (typeof v === 'string' && this.missing.has(v.trim()));
  }

  private encoderFor(spec: ColumnSpec): Encode {
    const { name } = spec;
    const nullIssue = (row: number, issues: RecordIssue[]) => {
      if (!spec.nullable) issues.push({ row, field: name, rule: 'not-null', message: `column ${name} has empty cells but is not nullable` });
    };
    if (spec.kind === 'numeric') {
      const allowed = spec.values ? new Set(spec.values) : undefined;
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
        const broken = numericDomainIssue(x, name, spec, allowed);
        if (broken) issues.push({ row, field: name, ...broken });
        return x;
      };
    }
    const codes = new Map(spec.values.map((c, i) => [String(c), i]));
    return (v, row, issues) => {
      if (this.isNull(v)) {
        nullIssue(row, issues);
        return -1;
      }
      const code = codes.get(typeof v === 'string' ? v.trim() : String(v));
      if (code !== undefined) return code;
      issues.push({ row, field: name, rule: 'allowed-values', message: `column ${name} has a category outside its allowed values` });
      return UNKNOWN_CATEGORY;
    };
  }

  encode(records: Record<string, unknown>[]): EncodedRecords {
    const n = records.length;
    const keyIssues: RecordIssue[] = [];
    const valueIssues: RecordIssue[] = [];
    const columns: Column[] = this.schema.features.map((spec) =>
      spec.kind === 'numeric'
        ? { kind: 'numeric', name: spec.name, values: new Float64Array(n) }
        : { kind: 'categorical', name: spec.name, codes: new Int32Array(n), categories: spec.values.map(String) },
    );
    for (let i = 0; i < n; i++) {
      const rec = records[i];
      const row = i + 1;
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
        const col = columns[j];
        const x = this.encoders[j](v, row, valueIssues);
        if (col.kind === 'numeric') col.values[i] = x;
        else col.codes[i] = x;
      }
      // More keys than the features it has: name the ones that are not features.
      if (Object.keys(rec).length !== present) {
        for (const key of Object.keys(rec)) {
          if (!this.known.has(key)) keyIssues.push({ row, field: key, rule: 'extra-feature', message: `${key} is not a feature of this model` });
        }
      }
    }
    return { frame: { nRows: n, columns }, keyIssues, valueIssues };
  }
}
