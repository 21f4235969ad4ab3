import { MongoClient } from 'mongodb';
import type { DatasetSchema } from '../../schema/index.js';
import type { Dataset } from '../data/frame.js';

/**
 * Writes a validated dataset into a MongoDB collection in batches (the old system's push_data):
 * numbers stay numbers, categories their schema values, the label its schema class; missing cells
 * are null. Replaces the collection's documents unless `append`.
 */
export async function importToMongo(
  data: Dataset,
  schema: DatasetSchema,
  target: { uri: string; db: string; collection: string; append?: boolean; batch?: number; onProgress?: (rows: number) => void },
): Promise<number> {
  const client = new MongoClient(target.uri, { serverSelectionTimeoutMS: 10_000 });
  try {
    await client.connect();
    const coll = client.db(target.db).collection(target.collection);
    if (!target.append) await coll.deleteMany({});
    const classes = schema.label.classes;
    // Categories as written in the schema (strings or integer codes).
    const values = new Map(schema.features.flatMap((f) => (f.kind === 'categorical' ? [[f.name, f.values] as const] : [])));
    const batch = target.batch ?? 5_000;
    const n = data.features.nRows;
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
    return n;
  } finally {
    await client.close();
  }
}
