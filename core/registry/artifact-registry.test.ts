import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../adapters/local-artifact-store.js';
import { putJson } from '../artifacts/json.js';
import { ArtifactRegistry } from './artifact-registry.js';
import { decidePromotion } from './promotion.js';

const model = { kind: 'pipeline', version: 1, params: {}, state: { x: 1 } };
const info = (runId: string) => ({ runId, family: 'gradient_boosting', params: {}, metrics: { f1: 0.97 }, schemaHash: 'h', dataDigest: 'd' });

describe('ArtifactRegistry', () => {
  let dir: string;
  let reg: ArtifactRegistry;
  let store: LocalArtifactStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-reg-'));
    store = new LocalArtifactStore(dir);
    reg = new ArtifactRegistry(store);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('numbers versions, once per run, even when runs race', async () => {
    const many = await Promise.all(['a', 'b', 'c', 'd'].map((r) => reg.register('phishing', model, info(r))));
    expect(many.map((m) => m.version).sort()).toEqual([1, 2, 3, 4]);
    const again = await reg.register('phishing', model, info('c'));
    expect(again.version).toBe(many[2].version);
    expect((await reg.versions('phishing')).map((v) => v.runId)).toHaveLength(4);
    expect(await reg.names()).toEqual(['phishing']);
  });

  it('hides a version whose manifest was never written and lets its run finish it', async () => {
    await putJson(store, 'models/phishing/v1/claim.json', { runId: 'crashed' });
    await putJson(store, 'models/phishing/v1/model.json', model);
    expect(await reg.versions('phishing')).toEqual([]);
    expect(await reg.get('phishing', 1)).toBeUndefined();
    const other = await reg.register('phishing', model, info('other'));
    expect(other.version).toBe(2);
    const done = await reg.register('phishing', model, info('crashed'));
    expect(done.version).toBe(1);
    expect((await reg.versions('phishing')).map((v) => v.version)).toEqual([1, 2]);
  });

  it('keeps aliases and resolves them', async () => {
    await reg.register('phishing', model, info('a'));
    await reg.register('phishing', model, info('b'));
    await reg.setAlias('phishing', 'production', 2);
    expect(await reg.alias('phishing', 'production')).toBe(2);
    expect((await reg.get('phishing', 'production'))?.manifest.runId).toBe('b');
    expect((await reg.get('phishing', 'v1'))?.manifest.runId).toBe('a');
    await expect(reg.setAlias('phishing', 'production', 9)).rejects.toThrow(/no version 9/);
  });
});

describe('promotion rule', () => {
  const rule = { metric: 'f1', minDelta: 0.001 };
  it('promotes the first model and one that beats production by the margin', () => {
    expect(decidePromotion(rule, { f1: 0.9 }).promote).toBe(true);
    expect(decidePromotion(rule, { f1: 0.972 }, { f1: 0.97 }).promote).toBe(true);
  });
  it('keeps a model that does not beat production as a candidate', () => {
    const d = decidePromotion(rule, { f1: 0.9705 }, { f1: 0.97 });
    expect(d).toMatchObject({ promote: false, reason: expect.stringContaining('kept as a candidate') });
  });
});
