import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import type { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import type { DatasetSchemaInput } from '../schema/index.js';
import { registerFitted } from './helpers/fitted-model.js';
import { testPrefix } from './helpers/redis.js';
import { startBatchApi } from './helpers/served.js';
import { attackDataset } from './helpers/synthetic.js';

type Status = { state: string; counts: { scored: number; invalid: number }; errors: { row: number; field?: string; rule: string }[]; unknown: Record<string, number>; results?: string };
type Verdict = { label: string; probabilities: Record<string, number> };

/**
 * The attack data with `protocol` one-hot under the default `unknown: ignore` and `service`
 * ordinal with `unknown: other` scored as `smtp`.
 */
function lenientSchema(base: DatasetSchemaInput): DatasetSchemaInput {
  return {
    ...base,
    name: 'attacks',
    features: base.features.map((f) => (f.name === 'service' ? { ...f, unknown: 'other' as const, other: 'smtp' } : f)),
  };
}

describe('unseen categories over the API: scored (ignore, other) and counted, or refused (error)', () => {
  const prefix = testPrefix('unknown');
  const KEY = 'unknown-key';
  const auth = { authorization: `Bearer ${KEY}` };
  let dir: string;
  let store: LocalArtifactStore;
  let registry: ArtifactRegistry;
  let http: Awaited<ReturnType<typeof startBatchApi>>;
  const data = attackDataset(3_000, 7);
  const schema = lenientSchema(data.schema);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-unknown-'));
    store = new LocalArtifactStore(dir);
    const csvPath = join(dir, 'attacks.csv');
    await writeFile(csvPath, data.csv);
    ({ registry } = await registerFitted(store, { name: 'attacks', csv: csvPath, schema, kind: 'gradient_boosting', params: { maxIter: 30 } }));
    http = await startBatchApi(store, registry, { prefix, key: KEY, model: 'attacks', rowsPerChunk: 400 });
  });
  afterAll(async () => {
    await http.close();
    await rm(dir, { recursive: true, force: true });
  });

  const post = (path: string, body: unknown) => fetch(`${http.base}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const one = async (features: Record<string, unknown>) => {
    const res = await post('/v1/predict', { features });
    expect(res.status).toBe(200);
    // Every answer has its own prediction id; the verdicts are compared without it.
    const { predictionId: _id, ...verdict } = (await res.json()) as Verdict & { predictionId: string };
    return verdict as Verdict;
  };
  const unknownMetric = async (column: string) => {
    const text = await (await fetch(`${http.base}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`tm_unknown_categories_total{model="attacks",version="1",column="${column}"}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  async function finished(id: string): Promise<Status> {
    for (let i = 0; i < 600; i++) {
      const s = (await (await fetch(`${http.base}/v1/batches/${id}`, { headers: auth })).json()) as Status;
      if (s.state === 'completed' || s.state === 'failed') return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`batch ${id} did not finish`);
  }

  it('scores one record with an unseen protocol (ignore) and an unseen service (other = smtp), and counts both in /metrics', async () => {
    const known = await one({ bytes: 3000, duration: 7, protocol: 'icmp', service: 'smtp' });
    const unseen = await one({ bytes: 3000, duration: 7, protocol: 'sctp', service: 'ftp' });
    expect(Object.values(unseen.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // `other` scores an unseen service exactly as the named bucket.
    expect(await one({ bytes: 3000, duration: 7, protocol: 'icmp', service: 'ftp' })).toEqual(known);
    expect(await unknownMetric('protocol')).toBe(1);
    expect(await unknownMetric('service')).toBe(2);
  });

  it('scores a synchronous batch with unseen values and adds them to the counter', async () => {
    const rows = [
      { bytes: 60, duration: 0.1, protocol: 'gre', service: 'dns' },
      { bytes: 500, duration: 2, protocol: 'tcp', service: 'telnet' },
      { bytes: 500, duration: 2, protocol: 'esp', service: 'http' },
    ];
    const res = await post('/v1/predict/batch', { rows });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { predictions: Verdict[] }).predictions).toHaveLength(3);
    expect(await unknownMetric('protocol')).toBe(3);
    expect(await unknownMetric('service')).toBe(3);
  });

  it('scores an async batch with unseen values, counting them per column in the batch status', async () => {
    const parsed = Papa.parse<string[]>(data.csv.trim(), { delimiter: ',' }).data;
    const [header, ...rows] = parsed;
    const p = header.indexOf('protocol');
    const s = header.indexOf('service');
    const edited = rows.slice(0, 1_000).map((r, i) => r.map((cell, j) => (j === p && i % 10 === 0 ? 'gre' : j === s && i % 25 === 0 ? 'ftp' : cell)));
    const csv = `${[header, ...edited].map((r) => r.join(',')).join('\n')}\n`;
    const res = await fetch(`${http.base}/v1/batches`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: csv });
    expect(res.status).toBe(202);
    const status = await finished(((await res.json()) as { batchId: string }).batchId);
    expect(status).toMatchObject({ state: 'completed', counts: { scored: 1_000, invalid: 0 }, unknown: { protocol: 100, service: 40 } });
    const out = Papa.parse<string[]>((await (await fetch(`${http.base}${status.results!}`, { headers: auth })).text()).trim(), { delimiter: ',' }).data;
    const at = out[0].indexOf('prediction');
    expect(out.slice(1).every((r) => r[at] !== '' && r[r.length - 1] === '')).toBe(true);
  });

  it('refuses unseen values of a column with unknown: error, naming the field and the rule', async () => {
    const strict = { ...schema, features: schema.features.map((f) => (f.name === 'protocol' ? { ...f, unknown: 'error' as const } : f)) };
    const csvPath = join(dir, 'attacks.csv');
    await registerFitted(store, { name: 'attacks', runId: 'strict', csv: csvPath, schema: strict, kind: 'gradient_boosting', params: { maxIter: 30 } });
    expect(await http.models.refresh()).toBe(true);
    const res = await post('/v1/predict', { features: { bytes: 1, duration: 1, protocol: 'sctp', service: 'http' } });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { details: { field: string; rule: string }[] } };
    expect(body.error.details).toEqual([expect.objectContaining({ field: 'protocol', rule: 'allowed-values' })]);

    const csv = 'bytes,duration,protocol,service\n1,1,tcp,http\n2,2,sctp,http\n';
    const batch = await fetch(`${http.base}/v1/batches`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: csv });
    const status = await finished(((await batch.json()) as { batchId: string }).batchId);
    expect(status).toMatchObject({ counts: { scored: 1, invalid: 1 }, unknown: {}, errors: [expect.objectContaining({ row: 2, field: 'protocol', rule: 'allowed-values' })] });
  });
});
