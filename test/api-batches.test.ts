import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Papa from 'papaparse';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { rocAuc } from '../core/metrics/ranking.js';
import type { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { loadServedModel } from '../core/registry/served-model.js';
import { readCsvText, repoPath } from './helpers/datasets.js';
import { testPrefix } from './helpers/redis.js';
import { startBatchApi, trainPhishing } from './helpers/served.js';

type Status = { state: string; progress: number; rows: number; chunks: { total: number; done: number }; counts: { scored: number; invalid: number }; errors: { row: number; field?: string; rule: string }[]; results?: string };

describe('async batches over real HTTP and the real Redis', () => {
  const prefix = testPrefix('batches');
  const KEY = 'batch-key';
  let dir: string;
  let store: LocalArtifactStore;
  let registry: ArtifactRegistry;
  let http: Awaited<ReturnType<typeof startBatchApi>>;
  let csv: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-batches-'));
    store = new LocalArtifactStore(dir);
    registry = await trainPhishing(store, 'batch-run');
    http = await startBatchApi(store, registry, { prefix, key: KEY, rowsPerChunk: 2_000, maxUploadBytes: 2_000_000 });
    csv = await readFile(repoPath('data/phishing.csv'), 'utf8');
  });
  afterAll(async () => {
    await http.close();
    await rm(dir, { recursive: true, force: true });
  });

  const auth = { authorization: `Bearer ${KEY}` };
  const upload = (body: string, type = 'text/csv') => fetch(`${http.base}/v1/batches`, { method: 'POST', headers: { ...auth, 'content-type': type }, body });
  const get = (path: string) => fetch(`${http.base}${path}`, { headers: auth });
  async function finished(id: string): Promise<Status> {
    for (let i = 0; i < 600; i++) {
      const s = (await (await get(`/v1/batches/${id}`)).json()) as Status;
      if (s.state === 'completed' || s.state === 'failed') return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`batch ${id} did not finish`);
  }
  const expectError = async (res: Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { code: string; details?: { field?: string; rule: string; row?: number }[] } };
    expect(body.error.code).toBe(code);
    return body.error;
  };

  it('scores an uploaded CSV in chunk jobs and streams the results in input order, extra columns carried through', async () => {
    const lines = csv.trim().split(/\r?\n/);
    // One row with a value outside its domain: reported and left unscored, the rest still scored.
    const bad = lines[5].split(',');
    bad[1] = '7';
    lines[5] = bad.join(',');
    const res = await upload(`${lines.join('\n')}\n`);
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { batchId: string; rows: number; chunks: number; modelVersion: number };
    expect(accepted).toMatchObject({ rows: lines.length - 1, chunks: Math.ceil((lines.length - 1) / 2_000), modelVersion: 1 });
    expect(res.headers.get('location')).toBe(`/v1/batches/${accepted.batchId}`);

    const status = await finished(accepted.batchId);
    expect(status).toMatchObject({ state: 'completed', progress: 1, rows: lines.length - 1, counts: { scored: lines.length - 2, invalid: 1 } });
    expect(status.errors).toEqual([expect.objectContaining({ row: 5, field: 'URL_Length', rule: 'allowed-values' })]);

    const out = await get(status.results!);
    expect(out.status).toBe(200);
    expect(out.headers.get('content-type')).toMatch(/^text\/csv/);
    const result = (await out.text()).trim().split('\n');
    expect(result).toHaveLength(lines.length);
    expect(result[0]).toBe(`${lines[0].replaceAll('"', '')},prediction_id,prediction,probability,p_-1,p_1,threat,score,error`);
    for (let i = 1; i < lines.length; i++) expect(result[i].startsWith(`${lines[i]},`)).toBe(true);
    expect(result[5].endsWith(',,,,,URL_Length allowed-values')).toBe(true);

    // The same rows through the synchronous route give the same verdicts.
    const header = lines[0].replaceAll('"', '').split(',');
    const rows = lines.slice(10, 60).map((l) => Object.fromEntries(header.slice(0, 30).map((h, j) => [h, Number(l.split(',')[j])])));
    const sync = (await (await fetch(`${http.base}/v1/predict/batch`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ rows }) })).json()) as { predictions: { label: string; probabilities: Record<string, number> }[] };
    sync.predictions.forEach((p, i) => {
      const cells = result[10 + i].split(',');
      expect(cells[32]).toBe(p.label);
      // Full precision both ways: the CSV's shortest round-trip text parses back to the API's double.
      expect(Number(cells[33])).toBe(p.probabilities[p.label]);
      expect([Number(cells[34]), Number(cells[35])]).toEqual([p.probabilities['-1'], p.probabilities['1']]);
    });
  });

  it('gives every class its full-precision probability: ROC-AUC from the p_ columns equals the model\'s own', async () => {
    const res = await upload(csv);
    const { batchId } = (await res.json()) as { batchId: string };
    const status = await finished(batchId);
    const out = Papa.parse<string[]>((await (await get(status.results!)).text()).trim(), { delimiter: ',' }).data;
    const [head, ...rows] = out;
    const model = (await loadServedModel(registry, store, 'phishing', 1))!;
    const threat = model.pipeline.classes[model.pipeline.positiveClass];
    const at = head.indexOf(`p_${threat}`);
    const fromCsv = Float64Array.from(rows, (r) => Number(r[at]));
    const { dataset } = await readCsvText(csv, model.schema);
    const proba = model.pipeline.predictProba(dataset.features);
    const K = model.pipeline.classes.length;
    const own = Float64Array.from({ length: dataset.features.nRows }, (_, i) => proba[i * K + model.pipeline.positiveClass]);
    const isThreat = Array.from(dataset.labels, (y) => y === model.pipeline.positiveClass);
    expect(rows.map((r) => r[head.indexOf('Result')])).toEqual(Array.from(dataset.labels, (y) => model.pipeline.classes[y]));
    expect(fromCsv).toEqual(own);
    expect(rocAuc(isThreat, fromCsv)).toBe(rocAuc(isThreat, own));
  });

  it('takes JSON rows too', async () => {
    const header = csv.split('\n')[0].replaceAll('"', '').trim().split(',').slice(0, 30);
    const rows = csv.trim().split('\n').slice(1, 4).map((l) => Object.fromEntries(header.map((h, j) => [h, Number(l.split(',')[j])])));
    const res = await upload(JSON.stringify({ rows }), 'application/json');
    expect(res.status).toBe(202);
    const { batchId } = (await res.json()) as { batchId: string };
    expect(await finished(batchId)).toMatchObject({ state: 'completed', counts: { scored: 3, invalid: 0 } });
    const result = (await (await get(`/v1/batches/${batchId}/results`)).text()).trim().split('\n');
    expect(result).toHaveLength(4);
    expect(result[0]).toBe(`${header.join(',')},prediction_id,prediction,probability,p_-1,p_1,threat,score,error`);
  });

  it('refuses bad uploads with the error shape, stores nothing of them, and keeps serving', async () => {
    const [head, ...rest] = csv.trim().split('\n');
    const renamed = head.replace('"URL_Length"', '"url_length"');
    let e = await expectError(await upload(`${renamed}\n${rest[0]}\n`), 422, 'invalid_header');
    expect(e.details).toContainEqual(expect.objectContaining({ field: 'URL_Length', rule: 'renamed-column' }));
    e = await expectError(await upload(`${head}\n${rest[0]}\n${rest[1]},1\n`), 422, 'invalid_csv');
    expect(e.details).toEqual([{ field: 'body', rule: 'row-length', row: 2 }]);
    await expectError(await upload(`${head}\n`), 422, 'invalid_csv');
    await expectError(await upload(`${head}\n${rest.slice(0, 3).join('\n')}\n`.repeat(30_000)), 413, 'body_too_large');
    await expectError(await upload('a,b\n1,2\n', 'text/plain'), 415, 'unsupported_media_type');
    await expectError(await upload(JSON.stringify({ rows: [{ nope: 1 }] }), 'application/json'), 422, 'invalid_features');
    await expectError(await upload('{"rows": [', 'application/json'), 400, 'malformed_json');
    await expectError(await get('/v1/batches/not-a-uuid'), 422, 'invalid_request');
    await expectError(await get('/v1/batches/0b6f1d2e-3c4a-4f5b-8a9c-1d2e3f4a5b6c'), 404, 'not_found');
    await expectError(await fetch(`${http.base}/v1/batches/0b6f1d2e-3c4a-4f5b-8a9c-1d2e3f4a5b6c`), 401, 'unauthorized');
    const stored = (await store.list('batches/')).filter((k) => k.endsWith('batch.json'));
    expect(stored).toHaveLength(3); // the three accepted batches above, nothing of the refused ones
    const left = await store.list('batches/');
    expect(left.every((k) => stored.some((s) => k.startsWith(s.replace('batch.json', ''))))).toBe(true);
    expect((await upload(`${head}\n${rest[0]}\n`)).status).toBe(202);
  });

  it('documents the batch routes in OpenAPI, with the CSV upload and download', async () => {
    const doc = (await (await fetch(`${http.base}/openapi.json`)).json()) as { paths: Record<string, Record<string, { requestBody?: { content: object }; responses: Record<string, { content?: object }> }>> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/batches', '/v1/batches/{id}', '/v1/batches/{id}/results']));
    expect(Object.keys(doc.paths['/v1/batches'].post.requestBody!.content).sort()).toEqual(['application/json', 'text/csv']);
    expect(Object.keys(doc.paths['/v1/batches/{id}/results'].get.responses['200'].content!)).toEqual(['text/csv']);
  });

  it('answers 409 for the results of a batch that is not done', async () => {
    await http.worker.pause();
    try {
      const res = await upload(csv);
      const { batchId } = (await res.json()) as { batchId: string };
      const s = (await (await get(`/v1/batches/${batchId}`)).json()) as Status;
      expect(s.state).toBe('queued');
      await expectError(await get(`/v1/batches/${batchId}/results`), 409, 'not_ready');
    } finally {
      http.worker.resume();
    }
  });
});
