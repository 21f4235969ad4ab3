import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from './local-artifact-store.js';

describe('LocalArtifactStore', () => {
  let dir: string;
  let store: LocalArtifactStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-store-'));
    store = new LocalArtifactStore(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes, reads, lists and deletes objects under readable paths', async () => {
    await store.put('runs/r1/ingest/data.csv', 'a,b\n1,2\n');
    await store.put('runs/r1/validate/report.json', '{}');
    expect(new TextDecoder().decode(await store.get('runs/r1/ingest/data.csv'))).toBe('a,b\n1,2\n');
    expect(await store.list('runs/r1/')).toEqual(['runs/r1/ingest/data.csv', 'runs/r1/validate/report.json']);
    expect(await store.get('runs/r2/x')).toBeUndefined();
    await store.delete('runs/r1/ingest/data.csv');
    expect(await store.exists('runs/r1/ingest/data.csv')).toBe(false);
  });

  it('creates only when absent, atomically, and leaves no temporary files', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.put('models/m/v1/claim.json', `run-${i}`, { ifAbsent: true })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const winner = new TextDecoder().decode(await store.get('models/m/v1/claim.json'));
    expect(winner).toMatch(/^run-\d$/);
    expect(await readdir(join(dir, 'models/m/v1'))).toEqual(['claim.json']);
  });

  it('writes a list of parts as their concatenation and reads it back whole', async () => {
    const parts = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Float64Array([0.5, -2]).subarray(1), new TextEncoder().encode('end')];
    await store.put('runs/r1/ingest/dataset.tmds', parts.map((p) => new Uint8Array(p.buffer, p.byteOffset, p.byteLength)));
    const back = await store.get('runs/r1/ingest/dataset.tmds');
    expect(Array.from(back!)).toEqual([1, 2, 3, ...new Uint8Array(new Float64Array([-2]).buffer), ...new TextEncoder().encode('end')]);
    expect(back).toBeInstanceOf(Uint8Array);
  });

  it('refuses keys that escape the store', async () => {
    await expect(store.put('../evil', 'x')).rejects.toThrow(/bad artifact key/);
    await expect(store.get('/etc/passwd')).rejects.toThrow(/bad artifact key/);
  });
});
