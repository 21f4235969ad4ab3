import type { DatasetSchema, NumericColumnSpec } from '../../schema/index.js';
import { DatasetBuilder } from '../data/dataset-builder.js';
import { NumericDomain } from '../validation/numeric-domain.js';
import type { LabelledPrediction } from './feedback-join.js';

export interface FeedbackCsv {
  /** Header = the schema's features in order, then its label; one line per kept row. */
  csv: string;
  rows: number;
  /** Rows left out because a training run would refuse them (a missing feature, a value outside its domain), and the first reason. */
  dropped: number;
  firstProblem?: string;
}

type Cell = string | number | boolean | null | undefined;

const cellOf = (v: unknown): Cell => (v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v));

const csvField = (cell: Cell): string => {
  const text = cell === null || cell === undefined ? '' : String(cell);
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
};

/**
 * Labelled predictions as a training CSV laid out by `schema`: the features as the caller sent
 * them and the true label. Rows the schema refuses (the run's validation would fail on one) are
 * checked with the same builder and domain rules as a training file, and left out.
 */
export function feedbackCsv(schema: DatasetSchema, rows: readonly LabelledPrediction[]): FeedbackCsv {
  const header = [...schema.features.map((f) => f.name), schema.label.name];
  const records = rows.map((r) => [...schema.features.map((f) => cellOf(r.prediction.features[f.name])), r.label]);
  const builder = new DatasetBuilder(schema, header, { trackRows: true });
  records.forEach((record, i) => builder.push(record, i + 2));
  const { dataset } = builder.finish();
  const bad = new Map<number, string>();
  for (const [row, issue] of builder.rowErrors) bad.set(row, issue.message);
  dataset.labels.forEach((y, row) => {
    if (y < 0 && !bad.has(row)) bad.set(row, `label ${schema.label.name} is not one of ${schema.label.classes.join(', ')}`);
  });
  dataset.features.columns.forEach((col, c) => {
    if (col.kind !== 'numeric') return;
    const domain = new NumericDomain(schema.features[c] as NumericColumnSpec);
    col.values.forEach((v, row) => {
      if (bad.has(row) || Number.isNaN(v)) return;
      const broken = domain.issue(v, col.name);
      if (broken) bad.set(row, broken.message);
    });
  });
  const lines = [header.map(csvField).join(',')];
  let firstProblem: string | undefined;
  records.forEach((record, row) => {
    const problem = bad.get(row);
    if (problem === undefined) lines.push(record.map(csvField).join(','));
    else firstProblem ??= problem;
  });
  return { csv: `${lines.join('\n')}\n`, rows: lines.length - 1, dropped: bad.size, ...(firstProblem !== undefined && { firstProblem }) };
}
