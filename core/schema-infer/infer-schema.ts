import type { CategoryValue, DatasetSchemaInput } from '../../schema/index.js';
import { DataError } from '../errors.js';
import type { ColumnSummary } from './column-profile.js';
import { DEFAULT_MISSING, type CsvProfile } from './profile-csv.js';

export interface InferOptions {
  /** The label column (required). */
  label: string;
  /** The schema's name. */
  name: string;
  /** Threat classes (as written in the data). Default: every class but the most frequent one. */
  threat?: string[];
  /**
   * Whole-number columns with at most this many distinct values are codes with listed values.
   * Default 3 (flags and -1/0/1 indicators): a count that showed 0..5 is not a code, since a 6
   * later must still be valid.
   */
  maxCodes?: number;
  /** Code columns share one alphabet (their union) when it has at most this many values. Default 3. */
  sharedCodes?: number;
  /** Numeric bounds written: 'sign' (min 0 for a column never negative) or 'observed' (the seen min and max). Default 'sign'. */
  bounds?: 'sign' | 'observed';
  /** The missing-value tokens the profile used. Default the schema default. */
  missingValues?: string[];
}

export interface InferredSchema {
  schema: DatasetSchemaInput;
  /** What the rules decided that a reader should check (ignored columns, the threat rule). */
  notes: string[];
}

type FeatureInput = DatasetSchemaInput['features'][number];
type NumericInput = Extract<FeatureInput, { kind: 'numeric' }>;

const isCodes = (c: ColumnSummary, maxCodes: number) => c.nonNumeric === 0 && c.integer && c.distinct !== undefined && c.distinct.size <= maxCodes;
const numbersOf = (keys: Iterable<string>) => [...new Set([...keys].map(Number))].sort((a, b) => a - b);

/**
 * A dataset schema from a CSV profile. Rules (documented in `threatmatrix schema infer --help`):
 * - a column whose every value is a number is numeric; whole numbers with few distinct values
 *   (-1/0/1, 0/1; at most `maxCodes`) are codes: numeric with their values listed and `integer: true` (kept
 *   numeric, not categorical, because codes such as -1/0/1 are ordered); when all code columns
 *   together use at most `sharedCodes` values, each lists that shared alphabet (a column that only
 *   showed -1 and 1 in a -1/0/1 data set may still hold 0);
 * - any other column is categorical with its values, most frequent first, or ignored when it has
 *   more distinct values than the profile tracked (an id or free text);
 * - a column with a missing cell is nullable;
 * - the label's classes are its values (numbers when all are whole numbers), and the threat
 *   classes are every class but the most frequent (for two classes: the minority class), unless
 *   given.
 */
export function inferSchema(profile: CsvProfile, o: InferOptions): InferredSchema {
  const maxCodes = o.maxCodes ?? 3;
  const notes: string[] = [];
  const labelAt = profile.columns.findIndex((c) => c.name === o.label);
  if (labelAt < 0) throw new DataError(`the label column ${o.label} is not in the header (${profile.columns.map((c) => c.name).join(', ')})`, 'required-column', o.label, 1);
  const label = inferLabel(profile.columns[labelAt], o, notes);
  const features: FeatureInput[] = [];
  const ignore: string[] = [];
  const codeColumns: { spec: NumericInput; summary: ColumnSummary }[] = [];
  for (const c of profile.columns) {
    if (c.name === o.label) continue;
    // Defaults (not nullable, not integer, one-hot) are left out, so the file shows only decisions.
    const nullable = c.missing > 0 ? { nullable: true } : {};
    if (c.present === 0) {
      ignore.push(c.name);
      notes.push(`${c.name}: ignored (no values)`);
    } else if (isCodes(c, maxCodes)) {
      const spec: NumericInput = { name: c.name, kind: 'numeric', values: numbersOf(c.distinct!.keys()), integer: true, ...nullable };
      codeColumns.push({ spec, summary: c });
      features.push(spec);
    } else if (c.nonNumeric === 0) {
      features.push(numericSpec(c, nullable, o.bounds ?? 'sign'));
    } else if (c.distinct) {
      const values = [...c.distinct.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([v]) => v);
      features.push({ name: c.name, kind: 'categorical', values, ...nullable });
    } else {
      ignore.push(c.name);
      notes.push(`${c.name}: ignored (text with more distinct values than tracked: an id or free text?)`);
    }
  }
  const alphabet = numbersOf(codeColumns.flatMap((c) => [...c.summary.distinct!.keys()]));
  if (codeColumns.length > 1 && alphabet.length <= (o.sharedCodes ?? 3)) {
    for (const c of codeColumns) c.spec.values = [...alphabet];
    notes.push(`${codeColumns.length} code columns share the values ${alphabet.join(', ')}`);
  }
  if (!features.length) throw new DataError('no column besides the label can be a feature', 'features');
  return {
    schema: { name: o.name, missingValues: o.missingValues ?? DEFAULT_MISSING, features, label, ignore },
    notes,
  };
}

function numericSpec(c: ColumnSummary, nullable: { nullable?: boolean }, bounds: 'sign' | 'observed'): NumericInput {
  const range = bounds === 'observed' ? { min: c.min, max: c.max } : c.min >= 0 ? { min: 0 } : {};
  return { name: c.name, kind: 'numeric', ...range, ...nullable, description: `observed ${c.min} to ${c.max}` };
}

function inferLabel(c: ColumnSummary, o: InferOptions, notes: string[]): DatasetSchemaInput['label'] {
  if (!c.distinct) throw new DataError(`the label column ${c.name} has more distinct values than tracked: is it the label?`, 'label-classes', c.name);
  if (c.distinct.size < 2) throw new DataError(`the label column ${c.name} holds ${c.distinct.size} class(es); a classifier needs at least 2`, 'label-classes', c.name);
  if (c.missing > 0) notes.push(`${c.name}: ${c.missing} row(s) have no label (validation will refuse them)`);
  const counts = c.distinct;
  const numeric = c.nonNumeric === 0 && c.integer;
  const texts = [...counts.keys()].sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const classes: CategoryValue[] = numeric ? texts.map(Number) : texts;
  let threat: string[];
  if (o.threat?.length) {
    const unknown = o.threat.filter((t) => !counts.has(t));
    if (unknown.length) throw new DataError(`threat class(es) ${unknown.join(', ')} not in the label's classes (${texts.join(', ')})`, 'threat-classes', c.name);
    threat = o.threat;
  } else {
    const majority = texts.reduce((m, t) => (counts.get(t)! > counts.get(m)! ? t : m));
    threat = texts.filter((t) => t !== majority);
    notes.push(`threat class(es) ${threat.join(', ')}: every class but the most frequent (${majority}); pass --threat to choose`);
  }
  return { name: c.name, classes, threat: threat.map((t) => (numeric ? Number(t) : t)) };
}
