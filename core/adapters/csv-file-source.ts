import type { DatasetSchema } from '../../schema/index.js';
import { readCsv, type ReadResult } from '../data/csv-reader.js';
import type { DataSource } from '../ports/data-source.js';
import { pathUnderRoots } from './data-roots.js';

/** A CSV file on local disk; with `root`, read only while it still resolves under that directory. */
export class CsvFileSource implements DataSource {
  constructor(
    private readonly path: string,
    private readonly root?: string,
  ) {}
  get description(): string {
    return `csv:${this.path}`;
  }
  async read(schema: DatasetSchema, opts: { onProgress?: (rows: number) => void } = {}): Promise<ReadResult> {
    // Checked again here: a link swapped since the API checked it must not lead out of the root.
    const path = this.root ? (await pathUnderRoots(this.path, [this.root])).path : this.path;
    return readCsv(path, schema, { onProgress: opts.onProgress });
  }
}
