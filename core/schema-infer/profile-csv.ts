import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import Papa from 'papaparse';
import { DEFAULT_MISSING_VALUES } from '../../schema/dataset-schema.js';
import { DataError } from '../errors.js';
import { ColumnProfile, type ColumnSummary } from './column-profile.js';

export interface ProfileOptions {
  /** Cell texts read as missing besides the empty cell. Default the schema default ('', na, NA, NaN, null). */
  missingValues?: string[];
  /** Distinct values tracked per column; past it a column keeps counts and numeric statistics only. Default 1,000. */
  maxDistinct?: number;
}

export interface CsvProfile {
  rows: number;
  columns: ColumnSummary[];
  /** Records whose cell count differs from the header's. */
  raggedRows: number;
}

export const DEFAULT_MISSING = DEFAULT_MISSING_VALUES;

/**
 * Profiles every column of a CSV with a header row in one streaming pass (Papa Parse, which reads
 * about 6 times faster than csv-parse); memory is bounded by the distinct-value cap, not the rows.
 */
export function profileCsv(input: string | Readable, opts: ProfileOptions = {}): Promise<CsvProfile> {
  const missing = new Set(opts.missingValues ?? DEFAULT_MISSING);
  const maxDistinct = opts.maxDistinct ?? 1_000;
  const stream = typeof input === 'string' ? createReadStream(input) : input;
  let profiles: ColumnProfile[] | undefined;
  let rows = 0;
  let raggedRows = 0;
  return new Promise((resolve, reject) => {
    // Every read error rejects (a second one must not go uncaught); a missing file is named.
    stream.on('error', (err: NodeJS.ErrnoException) =>
      reject(typeof input === 'string' && err.code ? new DataError(`cannot read ${input}: ${err.code === 'ENOENT' ? 'no such file' : err.code}`, 'readable-file') : err),
    );
    Papa.parse<string[]>(stream, {
      skipEmptyLines: true,
      chunk: ({ data }) => {
        let start = 0;
        if (!profiles) {
          const header = data[0].map((h) => h.replace(/^\uFEFF/, '').trim());
          const twice = header.find((h, i) => header.indexOf(h) !== i);
          if (twice !== undefined) {
            stream.destroy();
            reject(new DataError(`column ${twice} appears twice in the header`, 'unique-columns', twice, 1));
            return;
          }
          profiles = header.map((h) => new ColumnProfile(h, missing, maxDistinct));
          start = 1;
        }
        const width = profiles.length;
        for (let r = start; r < data.length; r++) {
          const record = data[r];
          if (record.length !== width) raggedRows++;
          for (let c = 0; c < width; c++) profiles[c].add(record[c]);
          rows++;
        }
      },
      complete: () => {
        if (!profiles) return reject(new DataError('the CSV is empty: it needs a header row and at least one data row', 'non-empty'));
        if (rows === 0) return reject(new DataError('the CSV has a header but no data rows', 'non-empty'));
        resolve({ rows, raggedRows, columns: profiles.map((p) => p.summary()) });
      },
      error: (err: Error) => reject(new DataError(`not a readable CSV: ${err.message}`, 'csv-syntax')),
    });
  });
}
