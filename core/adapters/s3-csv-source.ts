import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { DatasetSchema } from '../../schema/index.js';
import { readCsv, type ReadResult } from '../data/csv-reader.js';
import { DataError } from '../errors.js';
import type { DataSource } from '../ports/data-source.js';
import { redactUri } from '../security/redact.js';
import { parseS3Uri } from './s3-artifact-store.js';

/** A CSV object in S3, streamed straight into the reader. */
export class S3CsvSource implements DataSource {
  constructor(
    private readonly client: S3Client,
    private readonly uri: string,
  ) {}
  get description(): string {
    return redactUri(this.uri);
  }
  async read(schema: DatasetSchema, opts: { onProgress?: (rows: number) => void } = {}): Promise<ReadResult> {
    const { bucket, key } = parseS3Uri(this.uri);
    const out = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key })).catch((err: Error) => {
      // A missing object or bucket fails the same way on every retry: a DataError naming it.
      if (err.name === 'NoSuchKey' || err.name === 'NoSuchBucket' || err.name === 'NotFound') throw new DataError(`cannot read ${this.uri}: ${err.name}`, 'readable-file');
      throw err;
    });
    return readCsv(out.Body as Readable, schema, { onProgress: opts.onProgress, sizeBytes: out.ContentLength });
  }
}
