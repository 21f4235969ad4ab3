import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importToMongo } from '../core/adapters/mongo-import.js';
import { MongoSource } from '../core/adapters/mongo-source.js';
import { readCsv } from '../core/data/csv-reader.js';
import { takeDataset } from '../core/data/frame.js';
import { fitPipeline } from '../core/tuning/grid-search.js';
import { phishingSchema, repoPath } from './helpers/datasets.js';
import { startMongo } from './helpers/mongo.js';
import { loadConfig } from '../schema/index.js';
import { sourceFromArg } from '../schema/source-arg.js';
import { adaptersFrom } from '../workers/wiring.js';

describe('MongoDB: import, then read as a data source', () => {
  let mongo: Awaited<ReturnType<typeof startMongo>>;
  beforeAll(async () => {
    mongo = await startMongo();
    if ('skip' in mongo) console.warn(`\n*** SKIPPED MongoDB tests: ${mongo.skip} ***\n`);
  });
  afterAll(async () => {
    if (mongo && 'stop' in mongo) await mongo.stop();
  });

  it('imports data/phishing.csv and reads back the same 11,055 rows, training the same model', async (ctx) => {
    if ('skip' in mongo) return ctx.skip();
    const schema = phishingSchema();
    const { dataset: fromCsv } = await readCsv(repoPath('data/phishing.csv'), schema);
    const target = { uri: mongo.uri, db: 'threatmatrix', collection: 'phishing' };
    expect(await importToMongo(fromCsv, schema, target)).toEqual({ rows: 11_055, skipped: false });
    const { dataset: fromMongo, issues } = await new MongoSource(target.uri, target.db, target.collection).read(schema);
    expect(issues).toEqual([]);
    expect(fromMongo.features.nRows).toBe(11_055);
    expect(fromMongo).toEqual(fromCsv);
    // The path `threatmatrix train --data mongodb://host/db --collection phishing` takes.
    const spec = sourceFromArg(mongo.uri.replace('/?', '/threatmatrix?'), 'phishing');
    expect(spec).toMatchObject({ kind: 'mongodb', db: 'threatmatrix', collection: 'phishing' });
    const viaCli = await adaptersFrom(loadConfig({})).source(spec).read(schema);
    expect(viaCli.dataset.features.nRows).toBe(11_055);
    const params = { maxIter: 30, maxLeafNodes: 31 };
    const a = await fitPipeline({ kind: 'gradient_boosting', scale: false }, params, fromCsv);
    const b = await fitPipeline({ kind: 'gradient_boosting', scale: false }, params, fromMongo);
    expect(b.predictProba(fromCsv.features)).toEqual(a.predictProba(fromCsv.features));
  });

  it('skips a replacing import of an unchanged source, and reloads a changed or damaged one', async (ctx) => {
    if ('skip' in mongo) return ctx.skip();
    const schema = phishingSchema();
    const { dataset: all } = await readCsv(repoPath('data/phishing.csv'), schema);
    const first = Int32Array.from({ length: 500 }, (_, i) => i);
    const dataset = takeDataset(all, first);
    const target = { uri: mongo.uri, db: 'threatmatrix', collection: 'once', digest: 'digest-a' };
    expect(await importToMongo(dataset, schema, target)).toEqual({ rows: 500, skipped: false });
    expect(await importToMongo(dataset, schema, target)).toEqual({ rows: 500, skipped: true });
    expect(await importToMongo(dataset, schema, { ...target, force: true })).toEqual({ rows: 500, skipped: false });
    expect(await importToMongo(dataset, schema, { ...target, digest: 'digest-b' })).toEqual({ rows: 500, skipped: false });
    const { MongoClient } = await import('mongodb');
    const client = new MongoClient(mongo.uri);
    const coll = client.db('threatmatrix').collection('once');
    // A collection someone emptied since is reloaded even though the digest matches.
    await coll.deleteMany({ Result: -1 });
    expect(await importToMongo(dataset, schema, { ...target, digest: 'digest-b' })).toEqual({ rows: 500, skipped: false });
    expect(await coll.countDocuments()).toBe(500);
    await client.close();
  });

  it('maps "na" strings to missing values and reports fields outside the schema', async (ctx) => {
    if ('skip' in mongo) return ctx.skip();
    const { MongoClient } = await import('mongodb');
    const client = new MongoClient(mongo.uri);
    const coll = client.db('threatmatrix').collection('odd');
    await coll.deleteMany({});
    const schema = phishingSchema();
    const row = Object.fromEntries(schema.features.map((f) => [f.name, 1]));
    await coll.insertMany([{ ...row, Result: -1, note: 'x' }, { ...row, URL_Length: 'na', Result: 1, note: 'y' }]);
    await client.close();
    const { dataset, issues } = await new MongoSource(mongo.uri, 'threatmatrix', 'odd').read(schema);
    const urlLength = dataset.features.columns.find((c) => c.name === 'URL_Length')!;
    expect(urlLength.kind === 'numeric' && Number.isNaN(urlLength.values[1])).toBe(true);
    expect(issues.map((i) => `${i.rule}:${i.column}`)).toEqual(expect.arrayContaining(['extra-column:note', 'not-null:URL_Length']));
  });
});
