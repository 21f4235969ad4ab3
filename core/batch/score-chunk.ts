import Papa from 'papaparse';
import type { NumericColumnSpec, RowError } from '../../schema/index.js';
import { DataError } from '../errors.js';
import { csvField } from './csv-field.js';
import { DatasetBuilder } from '../data/dataset-builder.js';
import { takeRows } from '../data/frame.js';
import { argmaxRows } from '../models/model.js';
import type { ServedModel } from '../registry/served-model.js';
import { NumericDomain } from '../validation/numeric-domain.js';

export interface ScoredChunk {
  /** One output line per input record, in order: the input fields, prediction, probability, error. */
  csv: string;
  rows: number;
  scored: number;
  invalid: number;
  /** The first `maxErrors` invalid rows (`row` counts data rows of the whole batch from 1). */
  errors: RowError[];
  /** Scored rows per predicted class. */
  predicted: Record<string, number>;
}

/** Columns a batch's results add after the input columns. */
export const RESULT_COLUMNS = ['prediction', 'probability', 'error'];

/**
 * Scores a chunk of CSV records (no header, no empty lines: see csv-chunker) with a served model.
 * Each record's fields are echoed (quoted only where they need it), followed by the predicted label
 * and its probability; a record whose values break the model's schema gets empty prediction fields
 * and the broken rule instead of failing the chunk. Broken CSV syntax fails it (`DataError`).
 * Parsed with Papa Parse: on a 50,000-row chunk ~6 times faster than csv-parse, whose parse was
 * 60 % of the chunk's time.
 */
export function scoreCsvChunk(model: ServedModel, header: string[], bytes: Uint8Array, firstRow: number, maxErrors = 20): ScoredChunk {
  // The chunker ends every record with LF; CRLF becomes LF so that one line break holds throughout.
  const decoded = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const text = decoded.includes('\r') ? decoded.replaceAll('\r\n', '\n') : decoded;
  const { data: records, errors: syntax } = Papa.parse<string[]>(text, { delimiter: ',', newline: '\n', skipEmptyLines: true });
  // A broken quote the chunker took for whole records (`"a"b`) swallows the records after it.
  if (syntax.length) throw new DataError(`row ${firstRow + (syntax[0].row ?? 0)}: ${syntax[0].message}`, 'csv-syntax', undefined, firstRow + (syntax[0].row ?? 0) + 1);
  const builder = new DatasetBuilder(model.schema, header, { requireLabel: false, trackRows: true });
  records.forEach((r, i) => builder.push(r, firstRow + i));
  const frame = builder.finish().dataset.features;
  const bad = new Map<number, { field?: string; rule: string; message: string }>();
  for (const [row, issue] of builder.rowErrors) bad.set(row, { field: issue.column, rule: issue.rule, message: issue.message });
  frame.columns.forEach((col, j) => {
    if (col.kind !== 'numeric') return;
    const domain = new NumericDomain(model.schema.features[j] as NumericColumnSpec);
    col.values.forEach((v, row) => {
      if (Number.isNaN(v) || bad.has(row)) return;
      const broken = domain.issue(v, col.name);
      if (broken) bad.set(row, { field: col.name, ...broken });
    });
  });

  const n = records.length;
  const good = bad.size ? Int32Array.from({ length: n }, (_, i) => i).filter((i) => !bad.has(i)) : undefined;
  const proba = good?.length === 0 ? new Float64Array(0) : model.pipeline.predictProba(good ? takeRows(frame, good) : frame);
  const { classes } = model.pipeline;
  const K = classes.length;
  const best = argmaxRows(proba, K);
  const predicted: Record<string, number> = Object.fromEntries(classes.map((c) => [c, 0]));
  const errors: RowError[] = [];
  const lines: string[] = new Array(n);
  let k = 0;
  // Without a quote in the chunk, no field needs quoting: a record's line is its fields joined.
  const quoted = text.includes('"');
  for (let i = 0; i < n; i++) {
    const raw = quoted ? records[i].map(csvField).join(',') : records[i].join(',');
    const broken = bad.get(i);
    if (broken) {
      if (errors.length < maxErrors) errors.push({ row: firstRow + i, ...broken });
      lines[i] = `${raw},,,${csvField(`${broken.field ?? ''} ${broken.rule}`.trim())}`;
      continue;
    }
    const c = best[k];
    predicted[classes[c]]++;
    lines[i] = `${raw},${csvField(classes[c])},${proba[k * K + c].toFixed(6)},`;
    k++;
  }
  return { csv: lines.length ? `${lines.join('\n')}\n` : '', rows: n, scored: k, invalid: bad.size, errors, predicted };
}
