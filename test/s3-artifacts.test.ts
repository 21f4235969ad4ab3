import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ArtifactStore } from '../core/adapters/s3-artifact-store.js';
import { S3CsvSource } from '../core/adapters/s3-csv-source.js';
import { getJson } from '../core/artifacts/json.js';
import { runKeys } from '../core/pipeline/run-keys.js';
import { runLocally } from '../core/pipeline/run-locally.js';
import { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { RunSpec } from '../schema/jobs.js';
import { attackDataset } from './helpers/synthetic.js';
import { startS3 } from './helpers/s3.js';

describe('artifacts and data in S3 (s3rver)', () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  beforeAll(async () => {
    s3 = await startS3('tm-artifacts');
  });
  afterAll(() => s3?.stop());

  it('stores, reads, lists and deletes objects under a prefix', async () => {
    const store = new S3ArtifactStore(s3.client, 'tm-artifacts', 'team-a');
    expect(store.location).toBe('s3://tm-artifacts/team-a');
    await store.put('runs/r1/a.json', '{"a":1}');
    await store.put('runs/r1/b.bin', new Uint8Array([1, 2, 3]));
    expect(await store.list('runs/r1/')).toEqual(['runs/r1/a.json', 'runs/r1/b.bin']);
    expect(Array.from((await store.get('runs/r1/b.bin'))!)).toEqual([1, 2, 3]);
    await store.put('runs/r1/parts.bin', [new Uint8Array([4, 5]), new Uint8Array([6])]);
    expect(Array.from((await store.get('runs/r1/parts.bin'))!)).toEqual([4, 5, 6]);
    expect(await store.get('runs/r1/none')).toBeUndefined();
    expect(await store.exists('runs/r1/a.json')).toBe(true);
    await store.delete('runs/r1/a.json');
    expect(await store.exists('runs/r1/a.json')).toBe(false);
  });

  it('runs every stage with the data read from S3 and every artifact written there', async () => {
    const { csv, schema } = attackDataset(700, 41);
    await s3.client.send(new PutObjectCommand({ Bucket: 'tm-artifacts', Key: 'incoming/attacks.csv', Body: csv }));
    const store = new S3ArtifactStore(s3.client, 'tm-artifacts', 'prod');
    const registry = new ArtifactRegistry(store);
    const run = RunSpec.parse({ runId: 'run-s3', modelName: 'attacks', source: { kind: 's3', uri: 's3://tm-artifacts/incoming/attacks.csv' }, schema, families: ['decision_tree', 'knn'] });
    const result = await runLocally(run, { store, registry, source: (s) => new S3CsvSource(s3.client, s.kind === 's3' ? s.uri : ''), promotion: { metric: 'macroF1', minDelta: 0 } });
    expect(result).toMatchObject({ version: 1, promoted: true });
    const keys = await store.list('');
    const k = runKeys('run-s3');
    expect(keys).toEqual(expect.arrayContaining([k.dataset, k.validation, k.drift, k.train, k.test, k.familyPipeline('knn'), k.metrics, 'models/attacks/v1/model.json', 'models/attacks/v1/manifest.json', 'models/attacks/aliases/production/00000001.json']));
    expect((await getJson<{ rows: number }>(store, k.validation))?.rows).toBe(700);
  });
});
