import { MongoClient } from 'mongodb';
import type { DatasetSchema } from '../../schema/index.js';
import type { ReadResult } from '../data/csv-reader.js';
import { DatasetBuilder } from '../data/dataset-builder.js';
import { DataError } from '../errors.js';
import type { DataSource } from '../ports/data-source.js';

const BATCH = 5_000;

/**
 * Null when `uri` is a MongoDB connection string the driver accepts (parsed, not connected), else
 * why not. The reason never repeats the URI: it may hold a password.
 */
export function mongoUriProblem(uri: string): string | null {
  if ([...uri].some((ch) => ch <= ' ')) return 'a MongoDB URI holds no spaces or control characters';
  try {
    new MongoClient(uri);
    return null;
  } catch (err) {
    const secret = /^[^:]*:\/\/([^@/]*)@/.exec(uri)?.[1];
    const why = (err as Error).message.slice(0, 200);
    return `not a valid MongoDB connection string${secret && why.includes(secret.split(':').pop()!) ? '' : ` (${why})`}`;
  }
}

/**
 * A MongoDB collection read with a batched cursor, `_id` projected away. The first document's
 * fields are the header (so missing, extra and renamed fields are reported like CSV columns);
 * "na"-style strings become missing values through the schema's `missingValues`, as the old
 * system mapped them to null.
 */
export class MongoSource implements DataSource {
  constructor(
    private readonly uri: string,
    private readonly db: string,
    private readonly collection: string,
    /** timeoutMs: server selection, connect and idle-socket timeout (default 10,000): a dead or silent server fails the read, never hangs it. */
    private readonly opts: { timeoutMs?: number } = {},
  ) {}

  get description(): string {
    // Hosts only (credentials left out); a replica set lists several, which URL cannot parse.
    const hosts = /^mongodb(?:\+srv)?:\/\/(?:[^@/]*@)?([^/?]*)/.exec(this.uri)?.[1] ?? '?';
    return `mongodb://${hosts}/${this.db}.${this.collection}`;
  }

  async read(schema: DatasetSchema, opts: { onProgress?: (rows: number) => void } = {}): Promise<ReadResult> {
    const timeoutMs = this.opts.timeoutMs ?? 10_000;
    const client = new MongoClient(this.uri, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs, socketTimeoutMS: timeoutMs });
    try {
      await client.connect();
      const cursor = client.db(this.db).collection(this.collection).find({}, { projection: { _id: 0 }, batchSize: BATCH });
      let builder: DatasetBuilder | undefined;
      let header: string[] = [];
      let n = 0;
      for await (const doc of cursor) {
        if (!builder) {
          header = Object.keys(doc);
          builder = new DatasetBuilder(schema, header);
        }
        builder.push(
          header.map((k) => doc[k] as string | number | boolean | null | undefined),
          ++n,
        );
        if (n % 50_000 === 0) opts.onProgress?.(n);
      }
      if (!builder) throw new DataError(`the collection ${this.db}.${this.collection} is empty`, 'non-empty');
      opts.onProgress?.(n);
      return builder.finish();
    } finally {
      await client.close();
    }
  }
}
