import type { DatasetSchema } from '../../schema/index.js';
import type { ReadResult } from '../data/csv-reader.js';

/** Somewhere training rows come from: a CSV file, an S3 object, a MongoDB collection. */
export interface DataSource {
  /** What it reads, for logs and run records (never holds credentials). */
  readonly description: string;
  /** Reads every row into a columnar dataset laid out by `schema`, with cell-level issues. */
  read(schema: DatasetSchema, opts?: { onProgress?: (rows: number) => void }): Promise<ReadResult>;
}
