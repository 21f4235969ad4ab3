import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedbackCommand } from '../api/cli/feedback-command.js';
import { PredictionLog } from '../api/serving/prediction-log.js';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { joinFeedback } from '../core/monitoring/feedback-join.js';
import { PREDICTION_ID } from '../core/monitoring/prediction-id.js';
import { readWindow } from '../core/monitoring/prediction-log-reader.js';
import { loadConfig } from '../schema/config.js';
import { repoPath } from './helpers/datasets.js';
import { testPrefix } from './helpers/redis.js';
import { startBatchApi, trainPhishing } from './helpers/served.js';

type Answer = { received: number; stored: number; duplicates: number; matched: number; unmatched: number; unchecked: number; unmatchedIds: string[]; message: string };
type Problem = { row?: number; field: string; rule: string; message: string };

describe('prediction ids, the prediction log and feedback, through the real API and predict worker', () => {
  const prefix = testPrefix('feedback');
  const KEY = 'feedback-key';
  let dir: string;
  let store: LocalArtifactStore;
  let log: PredictionLog;
  let http: Awaited<ReturnType<typeof startBatchApi>>;
  let header: string[];
  let lines: string[];
  const started = Date.now();
  /** Every id the API answered with, by path. */
  const ids = { predict: [] as string[], batch: [] as string[], async: [] as string[] };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-feedback-'));
    store = new LocalArtifactStore(dir);
    const registry = await trainPhishing(store, 'feedback-run');
    log = new PredictionLog(store, { sampleRate: 1, maxPerSecond: 100_000 });
    http = await startBatchApi(store, registry, { prefix, key: KEY, rowsPerChunk: 40, predictionLog: log, predictionSampleRate: 1, maxJsonBytes: 64 * 1024 });
    const [head, ...rest] = (await readFile(repoPath('data/phishing.csv'), 'utf8')).replaceAll('"', '').trim().split(/\r?\n/);
    header = head.split(',');
    lines = rest;
  });
  afterAll(async () => {
    await http?.close();
    await log?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const auth = { authorization: `Bearer ${KEY}` };
  const record = (l: string) => Object.fromEntries(header.slice(0, 30).map((h, j) => [h, Number(l.split(',')[j])]));
  const post = (path: string, body: string, type = 'application/json', headers: Record<string, string> = auth) => fetch(`${http.base}${path}`, { method: 'POST', headers: { ...headers, 'content-type': type }, body });
  const feedback = async (body: unknown, type = 'application/json') => {
    const res = await post('/v1/feedback', typeof body === 'string' ? body : JSON.stringify(body), type);
    return { status: res.status, body: (await res.json()) as Answer & { error: { code: string; details: Problem[] } } };
  };
  const window = () => ({ fromMs: started - 1, toMs: Date.now() + 1 });

  it('gives every answer a time-ordered UUIDv7 prediction id on all three paths', async () => {
    const one = (await (await post('/v1/predict', JSON.stringify({ features: record(lines[0]) }))).json()) as { predictionId: string };
    expect(one.predictionId).toMatch(PREDICTION_ID);
    ids.predict.push(one.predictionId);
    await new Promise((r) => setTimeout(r, 5)); // ids order by millisecond: the next request's come later

    const batch = (await (await post('/v1/predict/batch', JSON.stringify({ rows: lines.slice(1, 6).map(record) }))).json()) as { predictions: { predictionId: string }[] };
    ids.batch.push(...batch.predictions.map((p) => p.predictionId));
    expect(ids.batch.every((id) => PREDICTION_ID.test(id))).toBe(true);
    expect(ids.batch[0] > ids.predict[0]).toBe(true); // later requests sort after earlier ones

    const upload = await post('/v1/batches', `${header.join(',')}\n${lines.slice(6, 106).join('\n')}\n`, 'text/csv');
    expect(upload.status).toBe(202);
    const { batchId } = (await upload.json()) as { batchId: string };
    let results: string | undefined;
    for (let i = 0; i < 600 && !results; i++) {
      const s = (await (await fetch(`${http.base}/v1/batches/${batchId}`, { headers: auth })).json()) as { state: string; results?: string };
      if (s.state === 'failed') throw new Error('batch failed');
      if (s.results) results = s.results;
      else await new Promise((r) => setTimeout(r, 100));
    }
    const [head, ...rows] = Papa.parse<string[]>((await (await fetch(`${http.base}${results}`, { headers: auth })).text()).trim()).data;
    expect(head.slice(header.length, header.length + 2)).toEqual(['prediction_id', 'prediction']);
    ids.async.push(...rows.map((r) => r[header.length]));
    expect(ids.async).toHaveLength(100);
    expect(ids.async.every((id) => PREDICTION_ID.test(id))).toBe(true);
    expect(new Set([...ids.predict, ...ids.batch, ...ids.async]).size).toBe(106);
    // In row order within the batch, across its three chunk jobs.
    expect([...ids.async].sort()).toEqual(ids.async);
  });

  it('logs every path with id, model version, features as sent, probabilities and verdict', async () => {
    await log.flush();
    const rows = await readWindow(store, 'phishing', window());
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const [source, list] of Object.entries(ids)) for (const id of list) expect(byId.get(id)?.source).toBe(source);
    const single = byId.get(ids.predict[0])!;
    expect(single).toMatchObject({ model: 'phishing', version: 1, features: record(lines[0]) });
    expect(single.probabilities['-1'] + single.probabilities['1']).toBeCloseTo(1, 9);
    expect(single.threat).toBe(single.label === '-1');
    // An async row keeps its CSV cells as text.
    expect(byId.get(ids.async[0])!.features).toEqual(Object.fromEntries(header.slice(0, 30).map((h, j) => [h, lines[6].split(',')[j]])));
    // A window that ends before the predictions holds none of them.
    expect(await readWindow(store, 'phishing', { fromMs: started - 3_600_000, toMs: started - 1 })).toEqual([]);
  });

  it('takes labels as JSON, counts ids the log does not hold as unmatched, and joins them to the predictions', async () => {
    const stranger = '01900000-0000-7000-8000-000000000001';
    const { status, body } = await feedback([...ids.predict, ...ids.batch].map((predictionId) => ({ predictionId, label: 1 })).concat({ predictionId: stranger, label: -1 }));
    expect(status).toBe(200);
    expect(body).toMatchObject({ received: 7, stored: 7, duplicates: 0, matched: 6, unmatched: 1, unchecked: 0, unmatchedIds: [stranger] });
    expect(body.message).toMatch(/not in the prediction log/);
    const join = await joinFeedback(store, 'phishing', window());
    expect(join.predictions).toBe(106);
    expect(join.labelled.map((l) => l.prediction.id).sort()).toEqual([...ids.predict, ...ids.batch].sort());
    expect(join.labelled.every((l) => l.label === '1')).toBe(true);
  });

  it('takes labels as CSV, and is idempotent per id: the latest label counts, one record per id', async () => {
    const csv = `prediction_id,label\n${ids.async.map((id, i) => `${id},${i % 2 ? '1' : '-1'}`).join('\n')}\n`;
    const first = await feedback(csv, 'text/csv');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ received: 100, stored: 100, matched: 100, unmatched: 0 });
    // The same call again, then a correction of one id sent twice in one call (the last row counts).
    expect((await feedback(csv, 'text/csv')).body).toMatchObject({ stored: 100, matched: 100 });
    const fix = await feedback([{ predictionId: ids.async[0], label: '1' }, { predictionId: ids.async[0].toUpperCase(), label: '1' }, { predictionId: ids.predict[0], label: '-1' }]);
    expect(fix.body).toMatchObject({ received: 3, stored: 2, duplicates: 1, matched: 2 });
    const join = await joinFeedback(store, 'phishing', window());
    expect(join.labelled).toHaveLength(106);
    const label = new Map(join.labelled.map((l) => [l.prediction.id, l.label]));
    expect(label.get(ids.async[0])).toBe('1');
    expect(label.get(ids.async[2])).toBe('-1');
    expect(label.get(ids.predict[0])).toBe('-1');
  });

  it('threatmatrix feedback sends a labels file, and stops with 1 on a refused row', async () => {
    const file = join(dir, 'labels.csv');
    await writeFile(file, `prediction_id,label\r\n${ids.batch.map((id) => `${id},-1`).join('\r\n')}\r\n`);
    const config = loadConfig({});
    expect(await feedbackCommand([file, '--url', http.base, '--key', KEY], config)).toBe(0);
    const label = new Map((await joinFeedback(store, 'phishing', window())).labelled.map((l) => [l.prediction.id, l.label]));
    expect(ids.batch.map((id) => label.get(id))).toEqual(ids.batch.map(() => '-1'));
    await writeFile(file, `prediction_id,label\n${ids.batch[0]},maybe\n`);
    expect(await feedbackCommand([file, '--url', http.base, '--key', KEY], config)).toBe(1);
    expect(await feedbackCommand([], config)).toBe(2);
  });

  it('refuses hostile feedback with a 4xx naming the row and the rule, and stores none of it', async () => {
    const id = ids.predict[0];
    const before = (await store.list('feedback/')).length;
    let r = await feedback([{ predictionId: id, label: '1' }, { predictionId: id, label: 'phish' }]);
    expect(r.status).toBe(422);
    expect(r.body.error.details[0]).toMatchObject({ row: 2, field: '1.label', rule: 'known-label' });
    r = await feedback([{ predictionId: 'not-an-id', label: '1' }]);
    expect(r.body.error.details[0]).toMatchObject({ row: 1, rule: 'prediction-id' });
    r = await feedback([{ predictionId: id, label: '1', note: 'x' }]);
    expect(r.body.error.details[0]).toMatchObject({ row: 1, rule: 'unrecognized_keys' });
    r = await feedback({ predictionId: id, label: '1' });
    expect(r.body.error.details[0]).toMatchObject({ field: 'body', rule: 'invalid_type' });
    r = await feedback(`prediction_id,label\n${id},1\n${id},2\n`, 'text/csv');
    expect(r.body.error.details[0]).toMatchObject({ row: 2, field: 'label', rule: 'known-label' });
    r = await feedback(`id,label\n${id},1\n`, 'text/csv');
    expect(r.body.error.details[0]).toMatchObject({ field: 'prediction_id', rule: 'required-column' });
    r = await feedback(`prediction_id,label\n${id},1,extra\n`, 'text/csv');
    expect(r.body.error.details[0]).toMatchObject({ row: 1, rule: 'row-width' });
    r = await feedback(`prediction_id,label\n"${id},1\n`, 'text/csv');
    expect(r.status).toBe(422);
    expect(r.body.error.details[0].rule).toBe('csv-syntax');
    // Over the body limit: 413 for JSON and CSV alike.
    const huge = Array.from({ length: 2_000 }, () => ({ predictionId: id, label: '1' }));
    expect((await feedback(huge)).status).toBe(413);
    expect((await feedback(`prediction_id,label\n${`${id},1\n`.repeat(2_000)}`, 'text/csv')).status).toBe(413);
    expect((await post('/v1/feedback', 'x', 'text/plain')).status).toBe(415);
    expect((await post('/v1/feedback', '[]', 'application/json', {})).status).toBe(401);
    expect((await post('/v1/feedback', '[{"predictionId":', 'application/json')).status).toBe(400);
    expect((await store.list('feedback/')).length).toBe(before);
  });
});
