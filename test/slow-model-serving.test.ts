import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import type { DatasetSchemaInput } from '../schema/index.js';
import { repoPath } from './helpers/datasets.js';
import { registerFitted } from './helpers/fitted-model.js';
import { testPrefix } from './helpers/redis.js';
import { startBatchApi } from './helpers/served.js';
import { parse as parseYaml } from 'yaml';

/** Polls /healthz back to back until `done` settles; every answer's time in ms. */
async function healthTimes(base: string, done: Promise<unknown>): Promise<number[]> {
  let finished = false;
  void done.finally(() => (finished = true));
  const times: number[] = [];
  while (!finished) {
    const t0 = performance.now();
    const res = await fetch(`${base}/healthz`);
    await res.text();
    times.push(performance.now() - t0);
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
  }
  return times;
}

describe('a KNN-served model scores big requests while the API keeps answering (API and predict worker in one process)', () => {
  const prefix = testPrefix('knn-serving');
  const KEY = 'knn-key';
  const auth = { authorization: `Bearer ${KEY}` };
  let dir: string;
  let http: Awaited<ReturnType<typeof startBatchApi>>;
  let lines: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-knn-'));
    const store = new LocalArtifactStore(dir);
    const schema = parseYaml(await readFile(repoPath('schema/phishing.yaml'), 'utf8')) as DatasetSchemaInput;
    lines = (await readFile(repoPath('data/phishing.csv'), 'utf8')).trim().split(/\r?\n/);
    // KNN on 4,000 training rows: 50,000 rows take seconds to score (long enough to measure, short for a test).
    const train = join(dir, 'train.csv');
    await writeFile(train, `${lines.slice(0, 4_001).join('\n')}\n`);
    const { registry } = await registerFitted(store, { name: 'phishing', csv: train, schema, kind: 'knn', params: { nNeighbors: 5 }, scale: true });
    // A 1 s job lock: a chunk scored on the worker's event loop would outlive it and stall.
    http = await startBatchApi(store, registry, { prefix, key: KEY, rowsPerChunk: 25_000, lockDuration: 1_000, stalledInterval: 1_000 });
  });
  afterAll(async () => {
    await http.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('scores a 50,000-row async batch with /healthz answering within 100 ms throughout', async () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => lines[1 + (i % (lines.length - 1))]);
    const res = await fetch(`${http.base}/v1/batches`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: `${lines[0]}\n${rows.join('\n')}\n` });
    expect(res.status).toBe(202);
    const { batchId } = (await res.json()) as { batchId: string };
    const finished = (async () => {
      for (;;) {
        const s = (await (await fetch(`${http.base}/v1/batches/${batchId}`, { headers: auth })).json()) as { state: string; counts: { scored: number }; failedReason?: string };
        if (s.state === 'completed' || s.state === 'failed') return s;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const times = await healthTimes(http.base, finished);
    expect(await finished).toMatchObject({ state: 'completed', counts: { scored: 50_000 } });
    process.stderr.write(`healthz during the async batch: ${times.length} answers, slowest ${[...times].sort((a, b) => b - a).slice(0, 5).map((t) => t.toFixed(1)).join(', ')} ms\n`);
    expect(Math.max(...times)).toBeLessThan(100);
    // Scoring took long enough for the bound to mean something: many answers were measured.
    expect(times.length).toBeGreaterThan(20);
  }, 180_000);

  it('scores a 10,000-row synchronous batch off the event loop, with /healthz answering within 100 ms', async () => {
    const header = lines[0].replaceAll('"', '').split(',').slice(0, 30);
    const rows = Array.from({ length: 10_000 }, (_, i) => {
      const cells = lines[1 + (i % (lines.length - 1))].split(',');
      return Object.fromEntries(header.map((h, j) => [h, Number(cells[j])]));
    });
    const answer = fetch(`${http.base}/v1/predict/batch`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ rows }) });
    const times = await healthTimes(http.base, answer);
    const res = await answer;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { predictions: unknown[] }).predictions).toHaveLength(10_000);
    process.stderr.write(`healthz during the sync batch: ${times.length} answers, slowest ${[...times].sort((a, b) => b - a).slice(0, 5).map((t) => t.toFixed(1)).join(', ')} ms\n`);
    expect(Math.max(...times)).toBeLessThan(100);
    expect(times.length).toBeGreaterThan(5);
  }, 120_000);
});
