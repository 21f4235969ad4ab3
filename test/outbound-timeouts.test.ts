import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3ArtifactStore } from '../core/adapters/s3-artifact-store.js';
import { S3CsvSource } from '../core/adapters/s3-csv-source.js';
import { MongoSource } from '../core/adapters/mongo-source.js';
import { DataError } from '../core/errors.js';
import { loadConfig } from '../schema/index.js';
import { s3ClientFrom } from '../workers/wiring.js';
import { startSilentServer } from './helpers/fake-mlflow.js';
import { startS3 } from './helpers/s3.js';
import { schemaOf } from './helpers/datasets.js';

const schema = schemaOf({ name: 's', features: [{ name: 'x', kind: 'numeric' }], label: { name: 'y', classes: ['a', 'b'], threat: ['a'] } });

describe('outbound calls to a server that accepts and never answers', () => {
  let silent: Awaited<ReturnType<typeof startSilentServer>>;
  beforeAll(async () => {
    silent = await startSilentServer();
  });
  afterAll(() => silent?.stop());

  it('an S3 artifact store fails its request after bounded attempts instead of hanging', { timeout: 30_000 }, async () => {
    // The SDK reads credentials from the process environment itself.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    const config = loadConfig({ S3_ENDPOINT: silent.uri, TM_CALL_TIMEOUT_MS: '300' });
    const store = new S3ArtifactStore(s3ClientFrom(config), 'bucket', 'p');
    const before = silent.requests();
    const started = Date.now();
    await expect(store.get('runs/r/a.json')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(silent.requests() - before).toBeGreaterThan(0); // it did reach the server
    expect(silent.requests() - before).toBeLessThanOrEqual(3);
    vi.unstubAllEnvs();
  });

  it('a MongoDB source fails the read instead of hanging', { timeout: 30_000 }, async () => {
    const source = new MongoSource(`mongodb://${new URL(silent.uri).host}/db?directConnection=true`, 'db', 'rows', { timeoutMs: 500 });
    const started = Date.now();
    await expect(source.read(schema)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('an S3 data object that is not there', () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  beforeAll(async () => {
    s3 = await startS3('tm-missing');
  });
  afterAll(() => s3?.stop());

  it('is a DataError naming the object (retrying cannot bring it)', async () => {
    const err = await new S3CsvSource(s3.client, 's3://tm-missing/incoming/none.csv').read(schema).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toContain('s3://tm-missing/incoming/none.csv');
  });
});
