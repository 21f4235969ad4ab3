import { resolve } from 'node:path';
import type { SourceSpec } from './jobs.js';

/**
 * `--data` as a source: s3://bucket/key, mongodb://host/db (collection from `collection`, default
 * the schema's name), or a CSV path (made absolute, so workers elsewhere read the same file).
 */
export function sourceFromArg(data: string, collection: string): SourceSpec {
  if (data.startsWith('s3://')) return { kind: 's3', uri: data };
  if (/^mongodb(\+srv)?:\/\//.test(data)) {
    // The path after the host list (several hosts for a replica set, which URL cannot parse).
    const db = (/^mongodb(?:\+srv)?:\/\/[^/?]*\/([^?]*)/.exec(data)?.[1] ?? '') || 'threatmatrix';
    return { kind: 'mongodb', uri: data, db, collection };
  }
  return { kind: 'csv', path: resolve(data) };
}
