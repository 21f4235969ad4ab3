/**
 * One process of test/alias-concurrency.test.ts: `node --import tsx alias-churn.ts <store> <id> <calls>`,
 * where <store> is a local directory or `s3://bucket@http://host:port`. Prints "ready", waits for a
 * line on stdin, then makes <calls> seeded-random promote / rollback / register (the run's
 * auto-promote) / unpin calls on the `production` alias of model `churn` back to back, and prints
 * one JSON line per call with its outcome.
 */
import { createInterface } from 'node:readline';
import { S3Client } from '@aws-sdk/client-s3';
import { LocalArtifactStore } from '../../core/adapters/local-artifact-store.js';
import { S3ArtifactStore } from '../../core/adapters/s3-artifact-store.js';
import { Rng } from '../../core/data/rng.js';
import type { AliasChange, AliasChangeResult } from '../../core/ports/model-registry.js';
import { ArtifactRegistry } from '../../core/registry/artifact-registry.js';

const [where, id, calls] = process.argv.slice(2);
const s3 = /^s3:\/\/([^@]+)@(.+)$/.exec(where);
if (!s3 && where.includes(':')) throw new Error(`not a directory or s3://bucket@endpoint: ${where}`);
const store = s3
  ? new S3ArtifactStore(new S3Client({ region: 'us-east-1', endpoint: s3[2], forcePathStyle: true, credentials: { accessKeyId: 'TEST', secretAccessKey: 'TEST' } }), s3[1])
  : new LocalArtifactStore(where);
const registry = new ArtifactRegistry(store);
const model = { kind: 'pipeline', version: 1, params: {}, state: {} };
const rng = new Rng(Number(id.replace(/\D/g, '')) + 1);

console.log('ready');
await new Promise<void>((resolve) => {
  const rl = createInterface({ input: process.stdin });
  rl.once('line', () => {
    rl.close();
    process.stdin.destroy();
    resolve();
  });
});

for (let i = 0; i < Number(calls); i++) {
  const by = `${id}#${i}`;
  const pick = rng.int(4);
  let r: AliasChangeResult;
  let action: AliasChange['action'];
  if (pick === 0) {
    action = 'promote';
    const versions = await registry.versions('churn');
    r = await registry.changeAlias('churn', 'production', { action, version: versions[rng.int(versions.length)].version, by, why: 'test' });
  } else if (pick === 1) {
    action = 'rollback';
    r = await registry.changeAlias('churn', 'production', { action: 'rollback', by, why: 'test' });
  } else if (pick === 2) {
    // A run: compares with production, registers its version, then asks for the auto-promotion.
    action = 'auto-promote';
    const expected = (await registry.alias('churn', 'production')) ?? null;
    const { version } = await registry.register('churn', model, { runId: by, family: 'x', params: {}, metrics: {}, schemaHash: 'h', dataDigest: 'd' });
    r = await registry.changeAlias('churn', 'production', { action, version, expected, by, why: 'test' });
  } else {
    action = 'unpin';
    r = await registry.changeAlias('churn', 'production', { action: 'unpin', by, why: 'test' });
  }
  console.log(JSON.stringify(r.changed ? { by, action, changed: true, seq: r.event.seq, from: r.event.from, to: r.event.to } : { by, action, changed: false, reason: r.reason }));
}
