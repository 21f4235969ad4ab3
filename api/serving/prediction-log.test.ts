import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../core/adapters/local-artifact-store.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';
import { PredictionLog, type LoggedPrediction } from './prediction-log.js';

const prediction = (i: number, version = 1): LoggedPrediction => ({
  at: '2026-11-21T10:00:00.000Z',
  model: 'phishing',
  version,
  features: { a: i },
  label: i % 2 ? '1' : '-1',
  probabilities: { '-1': 0.5, '1': 0.5 },
});

describe('PredictionLog', () => {
  let dir: string;
  let store: LocalArtifactStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-plog-'));
    store = new LocalArtifactStore(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('keeps the sampled share and writes JSON lines per model version and day', async () => {
    let n = 0;
    const log = new PredictionLog(store, { sampleRate: 0.5, random: () => (n++ % 2) / 2 });
    log.record(4, (i) => prediction(i));
    log.record(1, () => prediction(9, 2));
    await log.close();
    const keys = await store.list('predictions/');
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^predictions\/phishing\/v1\/2026-11-21\/.+\.jsonl$/);
    const lines = new TextDecoder().decode(await store.get(keys[0])).trim().split('\n').map((l) => JSON.parse(l) as LoggedPrediction);
    expect(lines.map((l) => l.features.a)).toEqual([0, 2]);
  });

  it('keeps at most maxPerSecond a second, and samples again in the next second', async () => {
    let now = 5_000;
    const log = new PredictionLog(store, { sampleRate: 1, maxPerSecond: 3, now: () => now });
    log.record(2, (i) => prediction(i));
    log.record(4, (i) => prediction(10 + i));
    now += 999;
    log.record(1, () => prediction(20));
    now += 1;
    log.record(2, (i) => prediction(30 + i));
    await log.close();
    const [key] = await store.list('predictions/');
    const lines = new TextDecoder().decode(await store.get(key)).trim().split('\n').map((l) => JSON.parse(l) as LoggedPrediction);
    expect(lines.map((l) => l.features.a)).toEqual([0, 1, 10, 30, 31]);
  });

  it('never throws to the caller and retries rows the store refused', async () => {
    let fail = true;
    const errors: unknown[] = [];
    const flaky: ArtifactStore = { ...store, location: 'x', put: async (k, b, o) => (fail ? Promise.reject(new Error('down')) : store.put(k, b, o)), get: (k) => store.get(k), exists: (k) => store.exists(k), list: (p) => store.list(p), delete: (k) => store.delete(k) };
    const log = new PredictionLog(flaky, { sampleRate: 1, onError: (e) => errors.push(e) });
    expect(() => log.record(1, () => prediction(1))).not.toThrow();
    await log.flush();
    expect(errors).toHaveLength(1);
    fail = false;
    await log.close();
    expect(await store.list('predictions/')).toHaveLength(1);
  });
});
