import { MongoClient } from 'mongodb';
import type { DatasetSchema } from '../../schema/index.js';
import type { Dataset } from '../data/frame.js';

/** Where a replacing import records what it loaded: one document per collection, `_id` its name. */
export const IMPORTS_COLLECTION = 'threatmatrix_imports';

export interface ImportTarget {
  uri: string;
  db: string;
  collection: string;
  /** Add to the documents already there instead of replacing them. Default false. */
  append?: boolean;
  /**
   * Digest of the source (file bytes and schema). A replacing import whose digest and row count
   * match what the collection last received skips the reload, so a deploy can run it every time.
   */
  digest?: string;
  /** Reload even when the digest matches (and record it). Default false. */
  force?: boolean;
  /** Connect, server selection and socket timeout in ms: a stalled server fails the import instead of hanging it. Default 10,000. */
  timeoutMs?: number;
  /** Documents per insertMany. Default 5,000. */
  batch?: number;
  onProgress?: (rows: number) => void;
}

export interface ImportResult {
  rows: number;
  /** True when the collection already held this digest's rows and nothing was written. */
  skipped: boolean;
}

/**
 * Writes a validated dataset into a MongoDB collection in batches (the old system's push_data):
 * numbers stay numbers, categories their schema values, the label its schema class; missing cells
 * are null. Replaces the collection's documents unless `append`; with a `digest`, an unchanged
 * source is not reloaded.
 */
export async function importToMongo(data: Dataset, schema: DatasetSchema, target: ImportTarget): Promise<ImportResult> {
  const timeoutMs = target.timeoutMs ?? 10_000;
  const client = new MongoClient(target.uri, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs, socketTimeoutMS: timeoutMs });
  try {
    await client.connect();
    const db = client.db(target.db);
    const coll = db.collection(target.collection);
    const marks = db.collection<{ _id: string; digest: string; rows: number; at: string }>(IMPORTS_COLLECTION);
    const n = data.features.nRows;
    if (!target.append && target.digest && !target.force) {
      const mark = await marks.findOne({ _id: target.collection });
      if (mark?.digest === target.digest && mark.rows === n && (await coll.countDocuments()) === n) return { rows: n, skipped: true };
    }
    if (!target.append) {
      // A reload that stops half way must not look finished to the next run.
      await marks.deleteOne({ _id: target.collection });
      await coll.deleteMany({});
    }
    const classes = schema.label.classes;
    // Categories as written in the schema (strings or integer codes).
    const values = new Map(schema.features.flatMap((f) => (f.kind === 'categorical' ? [[f.name, f.values] as const] : [])));
    const batch = target.batch ?? 5_000;
    for (let start = 0; start < n; start += batch) {
      const docs = [];
      for (let i = start; i < Math.min(n, start + batch); i++) {
        const doc: Record<string, unknown> = {};
        for (const c of data.features.columns) {
          if (c.kind === 'numeric') doc[c.name] = Number.isNaN(c.values[i]) ? null : c.values[i];
          else doc[c.name] = c.codes[i] >= 0 ? (values.get(c.name)?.[c.codes[i]] ?? c.categories[c.codes[i]]) : null;
        }
        doc[schema.label.name] = data.labels[i] >= 0 ? classes[data.labels[i]] : null;
        docs.push(doc);
      }
      await coll.insertMany(docs, { ordered: true });
      target.onProgress?.(Math.min(n, start + batch));
    }
    if (!target.append && target.digest) {
      await marks.updateOne({ _id: target.collection }, { $set: { digest: target.digest, rows: n, at: new Date().toISOString() } }, { upsert: true });
    }
    return { rows: n, skipped: false };
  } finally {
    await client.close();
  }
}
