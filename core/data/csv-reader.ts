import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import type { DatasetSchema } from '../../schema/index.js';
import { DataError } from '../errors.js';
import { DatasetBuilder } from './dataset-builder.js';
import type { Dataset } from './frame.js';
import type { DataIssue } from './read-issues.js';

export interface ReadCsvOptions {
  /** Fail when the label column is absent. Default true (false for unlabeled scoring input). */
  requireLabel?: boolean;
  /** Called every `progressEvery` rows with the count so far. */
  onProgress?: (rows: number) => void;
  /** Default 50,000. */
  progressEvery?: number;
}

export interface ReadResult {
  dataset: Dataset;
  /** Problems found while parsing cells; `validateDataset` adds domain checks and a verdict. */
  issues: DataIssue[];
  hasLabel: boolean;
}

type Info = { record: string[]; info: { lines: number } };

/**
 * Streams a CSV (path or stream) with a header row into a columnar dataset laid out by `schema`.
 * Throws `DataError` for an empty file, a missing label column or unparsable CSV; cell-level
 * problems (ragged rows, non-numbers, unknown categories, nulls) are returned as issues.
 */
export async function readCsv(input: string | Readable, schema: DatasetSchema, opts: ReadCsvOptions = {}): Promise<ReadResult> {
  const stream = typeof input === 'string' ? createReadStream(input) : input;
  const parser = stream.pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true }));
  const every = opts.progressEvery ?? 50_000;
  let builder: DatasetBuilder | undefined;
  let records = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<Info>) {
      if (!builder) {
        builder = new DatasetBuilder(schema, record, { requireLabel: opts.requireLabel });
        continue;
      }
      records++;
      builder.push(record, info.lines);
      if (opts.onProgress && builder.rows % every === 0) opts.onProgress(builder.rows);
    }
  } catch (err) {
    if (err instanceof CsvError) throw new DataError(`not a readable CSV: ${err.message}`, 'csv-syntax');
    throw err;
  } finally {
    if (typeof input === 'string') stream.destroy();
  }
  if (!builder) throw new DataError('the CSV is empty: it needs a header row and at least one data row', 'non-empty');
  if (records === 0) throw new DataError('the CSV has a header but no data rows', 'non-empty');
  opts.onProgress?.(builder.rows);
  return builder.finish();
}
