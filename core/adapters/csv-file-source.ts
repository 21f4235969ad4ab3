import type { DatasetSchema } from '../../schema/index.js';
import { readCsv, type ReadResult } from '../data/csv-reader.js';
import type { DataSource } from '../ports/data-source.js';

/** A CSV file on local disk. */
export class CsvFileSource implements DataSource {
  constructor(private readonly path: string) {}
  get description(): string {
    return `csv:${this.path}`;
  }
  read(schema: DatasetSchema, opts: { onProgress?: (rows: number) => void } = {}): Promise<ReadResult> {
    return readCsv(this.path, schema, { onProgress: opts.onProgress });
  }
}
