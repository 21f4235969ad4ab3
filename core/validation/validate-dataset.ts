import type { DatasetSchema, NumericColumnSpec } from '../../schema/index.js';
import type { Dataset, NumericColumn } from '../data/frame.js';
import { IssueCollector, type DataIssue } from '../data/read-issues.js';
import { DataError } from '../errors.js';
import { NumericDomain } from './numeric-domain.js';

/** Machine-readable result of checking a dataset against its schema. */
export interface ValidationReport {
  ok: boolean;
  rows: number;
  /** Every problem found, errors first; `ok` is false when any has severity error. */
  issues: DataIssue[];
  /** Rows per label class (empty when the data has no label). */
  labelCounts: Record<string, number>;
  /** Missing cells per feature column. */
  nulls: Record<string, number>;
}

export interface ValidateOptions {
  /** Problems found while parsing (from `readCsv` / `DatasetBuilder`). */
  readIssues?: DataIssue[];
  /** Whether the label must be present and usable (training). Default true. */
  requireLabel?: boolean;
}

/**
 * Checks a parsed dataset against its schema: parse problems, value domains (range, allowed
 * values, whole numbers), nulls, and a label with at least two classes present.
 */
export function validateDataset(data: Dataset, schema: DatasetSchema, opts: ValidateOptions = {}): ValidationReport {
  const issues = new IssueCollector();
  const nulls: Record<string, number> = {};
  data.features.columns.forEach((col, i) => {
    const spec = schema.features[i];
    if (col.kind === 'numeric') {
      nulls[col.name] = checkNumeric(col, spec as NumericColumnSpec, issues);
    } else {
      let n = 0;
      for (const c of col.codes) if (c === -1) n++;
      nulls[col.name] = n;
    }
  });
  const labelCounts: Record<string, number> = {};
  if (opts.requireLabel ?? true) {
    data.classes.forEach((c) => (labelCounts[c] = 0));
    for (const y of data.labels) if (y >= 0) labelCounts[data.classes[y]]++;
    const present = Object.values(labelCounts).filter((n) => n > 0).length;
    if (present < 2) {
      issues.add('label-classes', 'error', schema.label.name, `label ${schema.label.name} must hold at least two classes to train on (found ${present})`);
    }
  }
  const all = [...(opts.readIssues ?? []), ...issues.list()].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  return { ok: !all.some((i) => i.severity === 'error'), rows: data.features.nRows, issues: all, labelCounts, nulls };
}

function checkNumeric(col: NumericColumn, spec: NumericColumnSpec, issues: IssueCollector): number {
  const domain = new NumericDomain(spec);
  let nulls = 0;
  col.values.forEach((v, row) => {
    if (Number.isNaN(v)) {
      nulls++;
      return;
    }
    const broken = domain.issue(v, col.name);
    if (broken) issues.add(broken.rule, 'error', col.name, broken.message, { row: row + 1, value: String(v) });
  });
  return nulls;
}

/** Throws a DataError for the report's first error, naming its column, rule and an example line. */
export function assertValid(report: ValidationReport): void {
  const first = report.issues.find((i) => i.severity === 'error');
  if (!first) return;
  const ex = first.examples[0];
  const at = ex?.line ? `line ${ex.line}` : ex?.row ? `row ${ex.row}` : '';
  const value = ex?.value !== undefined ? `value "${ex.value}"` : '';
  const where = at || value ? ` (${[at, value].filter(Boolean).join(', ')})` : '';
  const more = first.count > 1 ? `; ${first.count} cells in all` : '';
  const others = report.issues.filter((i) => i.severity === 'error').length - 1;
  const tail = others > 0 ? `; ${others} more problem(s) in the report` : '';
  throw new DataError(`${first.message} [rule: ${first.rule}]${where}${more}${tail}`, first.rule, first.column, ex?.line);
}
