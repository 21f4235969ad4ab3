import { DatasetBuilder } from '../../core/data/dataset-builder.js';
import type { Frame } from '../../core/data/frame.js';
import { validateDataset } from '../../core/validation/validate-dataset.js';
import type { DatasetSchema } from '../../schema/index.js';
import { ApiError } from '../errors.js';

type Cell = string | number | boolean | null;

/** 422 unless every record names exactly the schema's features, each a number, a string or null. */
export function checkRecordKeys(records: Record<string, unknown>[], schema: DatasetSchema): void {
  const names = schema.features.map((f) => f.name);
  const known = new Set(names);
  const details: { row: number; field: string; rule: string; message: string }[] = [];
  records.forEach((rec, i) => {
    for (const key of Object.keys(rec)) {
      if (!known.has(key)) details.push({ row: i + 1, field: key, rule: 'extra-feature', message: `${key} is not a feature of this model` });
    }
    for (const name of names) {
      if (!Object.hasOwn(rec, name)) details.push({ row: i + 1, field: name, rule: 'missing-feature', message: `${name} is required` });
      const v = rec[name];
      if (v !== undefined && v !== null && typeof v !== 'number' && typeof v !== 'string') {
        details.push({ row: i + 1, field: name, rule: 'type', message: `${name} must be a number or a string` });
      }
    }
  });
  if (details.length) throw new ApiError(422, 'invalid_features', 'the records do not match the model\'s features', details.slice(0, 50));
}

/**
 * JSON records (feature name -> value) to a frame laid out by the dataset schema. Every record
 * must name exactly the schema's features; values must fit their column (type, allowed values,
 * range, finite). Problems become one 422 naming each field, rule and row.
 */
export function recordsToFrame(records: Record<string, unknown>[], schema: DatasetSchema): Frame {
  checkRecordKeys(records, schema);
  const names = schema.features.map((f) => f.name);
  const builder = new DatasetBuilder(schema, names, { requireLabel: false });
  records.forEach((rec, i) => builder.push(names.map((n) => rec[n] as Cell), i + 1));
  const { dataset, issues } = builder.finish();
  const report = validateDataset(dataset, schema, { readIssues: issues, requireLabel: false });
  const errors = report.issues.filter((x) => x.severity === 'error');
  if (errors.length) {
    throw new ApiError(
      422,
      'invalid_values',
      errors[0].message,
      errors.map((e) => ({ field: e.column, rule: e.rule, message: e.message, rows: e.examples.map((x) => x.line ?? x.row) })),
    );
  }
  return dataset.features;
}
