import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../core/adapters/local-artifact-store.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';
import { PredictionLog, type LoggedPrediction } from './prediction-log.js';

const prediction = (i: number, version = 1, at = '2026-11-21T10:00:00.000Z'): LoggedPrediction => ({
  id: `019aa5b2-0000-7000-8000-${String(i).padStart(12, '0')}`,
  at,
  model: 'phishing',
  version,
  source: 'predict',
  features: { a: i },
  label: i % 2 ? '1' : '-1',
  threat: !(i % 2),
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

  it('keeps the sampled share and writes one NDJSON part per model and hour, named by its time span', async () => {
    let n = 0;
    const log = new PredictionLog(store, { sampleRate: 0.5, random: () => (n++ % 2) / 2 });
    log.record(4, (i) => prediction(i));
    log.record(1, () => prediction(9, 2, '2026-11-21T10:59:59.999Z'));
    log.record(2, () => prediction(11, 2, '2026-11-21T11:00:00.000Z'));
    await log.close();
    const keys = await store.list('predictions/');
    expect(keys).toHaveLength(2);
    const [first, last] = [Date.parse('2026-11-21T10:00:00.000Z'), Date.parse('2026-11-21T10:59:59.999Z')];
    expect(keys[0]).toMatch(new RegExp(`^predictions/phishing/2026-11-21/10/${first}-${last}-api-[0-9a-f]{8}-0\\.ndjson$`));
    expect(keys[1]).toMatch(/^predictions\/phishing\/2026-11-21\/11\//);
    const lines = new TextDecoder().decode(await store.get(keys[0])).trim().split('\n').map((l) => JSON.parse(l) as LoggedPrediction);
    expect(lines.map((l) => l.features.a)).toEqual([0, 2, 9]);
    expect(lines[2]).toMatchObject({ version: 2, source: 'predict', threat: false });
  });

  it('keeps nothing at a sample rate of 0', async () => {
    const log = new PredictionLog(store, { sampleRate: 0 });
    log.record(1000, (i) => prediction(i));
    await log.close();
    expect(await store.list('predictions/')).toEqual([]);
  });

  it('keeps about maxPerSecond a second under load, spread over the second, and never more', async () => {
    let now = 5_000;
    let n = 0;
    // Draws in [0, 1) that are not sorted: (7n mod 100) / 100.
    const log = new PredictionLog(store, { sampleRate: 1, maxPerSecond: 10, now: () => now, random: () => ((n++ * 7) % 100) / 100 });
    log.record(100, (i) => prediction(i)); // nothing seen before: the full rate, up to the cap
    now += 1_000;
    log.record(100, (i) => prediction(1_000 + i)); // 100 a second seen: one in ten, across the request
    now += 1_000;
    log.record(10_000, (i) => prediction(100_000 + i)); // a burst: still at most 10
    now += 5_000;
    log.record(5, (i) => prediction(1_000_000 + i)); // after a quiet spell: the full rate again
    await log.close();
    const [key] = await store.list('predictions/');
    const kept = new TextDecoder().decode(await store.get(key)).trim().split('\n').map((l) => (JSON.parse(l) as LoggedPrediction).features.a as number);
    const between = (lo: number, hi: number) => kept.filter((a) => a >= lo && a < hi);
    expect(between(0, 1_000)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const spread = between(1_000, 2_000);
    expect(spread).toHaveLength(10);
    expect(Math.max(...spread) - Math.min(...spread)).toBeGreaterThan(50);
    expect(between(100_000, 1_000_000)).toHaveLength(10);
    expect(between(1_000_000, Infinity)).toEqual([1_000_000, 1_000_001, 1_000_002, 1_000_003, 1_000_004]);
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
