import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { readCsv } from '../core/data/csv-reader.js';
import { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import type { ServerType } from '@hono/node-server';
import { phishingSchema, repoPath } from '../test/helpers/datasets.js';
import { listen, trainPhishing } from '../test/helpers/served.js';
import { buildApp } from './app.js';
import { ModelHolder } from './serving/model-holder.js';
import { PREDICTION_ID } from '../core/monitoring/prediction-id.js';
import { PredictionLog } from './serving/prediction-log.js';

describe('prediction API over real HTTP', () => {
  let dir: string;
  let server: ServerType;
  let base: string;
  let row: Record<string, number>;
  let registry: ArtifactRegistry;
  let predictionLog: PredictionLog;
  const PREDICT = 'predict-key-123';
  const ADMIN = 'admin-key-456';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-api-'));
    const store = new LocalArtifactStore(dir);
    registry = await trainPhishing(store, 'api-run');
    const models = new ModelHolder('phishing', registry, store);
    await models.refresh();
    predictionLog = new PredictionLog(store, { sampleRate: 1 });
    const app = buildApp({ models, registry, predictionLog, redisOk: async () => true, maxBatchRows: 100, maxJsonBytes: 64 * 1024, keys: { predict: [PREDICT], admin: [ADMIN] } });
    ({ server, base } = await listen(app.fetch));
    const { dataset } = await readCsv(repoPath('data/phishing.csv'), phishingSchema());
    row = Object.fromEntries(dataset.features.columns.map((c) => [c.name, c.kind === 'numeric' ? c.values[0] : 0]));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await predictionLog.close();
    await rm(dir, { recursive: true, force: true });
  });

  const post = (path: string, body: string | object, type = 'application/json', key = PREDICT) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': type, authorization: `Bearer ${key}` }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const admin = (method: string, path: string, key = ADMIN) => fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${key}` } });
  const expectError = async (res: Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { code: string; message: string; details?: unknown } };
    expect(body.error.code).toBe(code);
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
    return body.error;
  };

  it('answers health, readiness and one prediction naming the model version', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${base}/readyz`)).json()).toMatchObject({ status: 'ready', model: 'phishing', modelVersion: 1 });
    const res = await post('/v1/predict', { features: row });
    expect(res.status).toBe(200);
    const p = (await res.json()) as { label: string; threat: boolean; score: number; threshold: number; probabilities: Record<string, number>; modelVersion: number };
    expect(['-1', '1']).toContain(p.label);
    // The threat score is P(-1), the threat class; the flag is the score against the version's threshold.
    expect(p.score).toBeCloseTo(p.probabilities['-1'], 12);
    expect(p.threat).toBe(p.score >= p.threshold);
    expect(p.probabilities['-1'] + p.probabilities['1']).toBeCloseTo(1, 9);
    expect(p.modelVersion).toBe(1);
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('logs served predictions (sampled) for drift monitoring', async () => {
    await post('/v1/predict', { features: row });
    await predictionLog.flush();
    const store = new LocalArtifactStore(dir);
    const keys = await store.list('predictions/phishing/');
    expect(keys.length).toBeGreaterThan(0);
    const line = JSON.parse(new TextDecoder().decode(await store.get(keys[0])).split('\n')[0]) as { features: object; version: number; id: string; source: string };
    expect(line).toMatchObject({ version: 1, features: row, source: 'predict' });
    expect(line.id).toMatch(PREDICTION_ID);
  });

  it('scores a synchronous batch in order', async () => {
    const rows = [row, { ...row, SSLfinal_State: -1 }, row];
    const res = await post('/v1/predict/batch', { rows });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { predictions: { label: string; predictionId: string }[]; modelVersion: number };
    expect(body.predictions).toHaveLength(3);
    const ids = body.predictions.map(({ predictionId }) => predictionId);
    expect(new Set(ids).size).toBe(3);
    expect([...ids].sort()).toEqual(ids); // time-ordered, and in row order within a request
    const withoutId = body.predictions.map(({ predictionId: _id, ...rest }) => rest);
    expect(withoutId[0]).toEqual(withoutId[2]);
  });

  it('rejects bad input with the error shape and the right status, and keeps serving', async () => {
    await expectError(await post('/v1/predict', '{"features": {'), 400, 'malformed_json');
    const { [Object.keys(row)[0]]: _drop, ...missing } = row;
    const m = await expectError(await post('/v1/predict', { features: missing }), 422, 'invalid_features');
    expect(m.details).toContainEqual(expect.objectContaining({ field: Object.keys(row)[0], rule: 'missing-feature' }));
    const e = await expectError(await post('/v1/predict', { features: { ...row, colour: 1 } }), 422, 'invalid_features');
    expect(e.details).toContainEqual(expect.objectContaining({ field: 'colour', rule: 'extra-feature' }));
    const d = await expectError(await post('/v1/predict', { features: { ...row, URL_Length: 7 } }), 422, 'invalid_values');
    expect(d.details).toContainEqual(expect.objectContaining({ field: 'URL_Length', rule: 'allowed-values' }));
    const t = await expectError(await post('/v1/predict', { features: { ...row, URL_Length: true } }), 422, 'invalid_features');
    expect(t.details).toContainEqual(expect.objectContaining({ field: 'URL_Length', rule: 'type' }));
    await expectError(await post('/v1/predict', { features: [1, 2] }), 422, 'invalid_request');
    await expectError(await post('/v1/predict', { features: row, extra: 1 }), 422, 'invalid_request');
    await expectError(await post('/v1/predict/batch', { rows: [row, 3] }), 422, 'invalid_request');
    await expectError(await post('/v1/predict', { features: { ...row, URL_Length: 'NaN' } }), 422, 'invalid_values');
    await expectError(await post('/v1/predict', { features: { ...row, URL_Length: 'Infinity' } }), 422, 'invalid_values');
    await expectError(await post('/v1/predict/batch', { rows: [] }), 422, 'invalid_request');
    await expectError(await post('/v1/predict/batch', { rows: Array(101).fill(row) }), 422, 'batch_too_large');
    // Just over the 64 KiB limit: the whole body fits in socket buffers, so the client reads the 413.
    await expectError(await post('/v1/predict/batch', { rows: Array(130).fill(row) }), 413, 'body_too_large');
    await expectError(await post('/v1/predict', 'a,b\n1,2\n', 'text/csv'), 415, 'unsupported_media_type');
    const proto = await expectError(await post('/v1/predict', `{"features": {"__proto__": {"polluted": 1}, ${JSON.stringify(row).slice(1)}}`), 422, 'forbidden_key');
    expect(proto.details).toContainEqual({ field: 'features.__proto__', rule: 'forbidden-key' });
    // The same key spelt with JSON escapes, inside a batch row.
    const escaped = await expectError(await post('/v1/predict/batch', `{"rows": [{"\\u005f_proto__": {"polluted": 1}, ${JSON.stringify(row).slice(1)}]}`), 422, 'forbidden_key');
    expect(escaped.details).toContainEqual({ field: 'rows.0.__proto__', rule: 'forbidden-key' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await expectError(await fetch(`${base}/v1/nothing`), 404, 'not_found');
    expect((await post('/v1/predict', { features: row })).status).toBe(200);
  });

  it('documents every route it serves in OpenAPI 3.1, and nothing else', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { openapi: string; paths: Record<string, object> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/healthz', '/metrics', '/readyz', '/v1/feedback', '/v1/models', '/v1/models/history', '/v1/models/import', '/v1/models/pin', '/v1/models/rollback', '/v1/models/unpin', '/v1/models/{version}', '/v1/models/{version}/promote', '/v1/models/{version}/threshold', '/v1/monitoring/{model}', '/v1/monitoring/{model}/windows/{id}', '/v1/predict', '/v1/predict/batch']);
  });

  it('asks for keys: none or unknown -> 401, a predict key on admin routes -> 403', async () => {
    await expectError(await fetch(`${base}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ features: row }) }), 401, 'unauthorized');
    await expectError(await post('/v1/predict', { features: row }, 'application/json', 'nope'), 401, 'unauthorized');
    await expectError(await admin('GET', '/v1/models', PREDICT), 403, 'forbidden');
    await expectError(await fetch(`${base}/v1/models`), 401, 'unauthorized');
    expect((await post('/v1/predict', { features: row }, 'application/json', ADMIN)).status).toBe(200);
  });

  it('promotes a version and rolls back, and the served model follows at once', async () => {
    const v1 = (await registry.get('phishing', 1))!;
    await registry.register('phishing', v1.model, { ...v1.manifest, runId: 'api-run-2' });
    const list = (await (await admin('GET', '/v1/models')).json()) as { versions: { version: number; production: boolean }[]; production: number };
    expect(list).toMatchObject({ production: 1, versions: [{ version: 1, production: true }, { version: 2, production: false }] });
    expect(await (await admin('POST', '/v1/models/2/promote')).json()).toEqual({ production: 2, previous: 1, pinned: true });
    expect(((await (await post('/v1/predict', { features: row })).json()) as { modelVersion: number }).modelVersion).toBe(2);
    expect(await (await admin('POST', '/v1/models/rollback')).json()).toEqual({ production: 1, previous: 2, pinned: true });
    expect(((await (await post('/v1/predict', { features: row })).json()) as { modelVersion: number }).modelVersion).toBe(1);
    await expectError(await admin('POST', '/v1/models/rollback'), 409, 'conflict');
    expect(await (await admin('POST', '/v1/models/unpin')).json()).toEqual({ production: 1, previous: 1, pinned: false });
    const history = (await (await admin('GET', '/v1/models/history')).json()) as { production: number; pinned: boolean; events: { action: string; from: number | null; to: number; by: string }[] };
    expect(history).toMatchObject({ production: 1, pinned: false });
    expect(history.events.map((e) => `${e.action} ${e.from}->${e.to}`)).toEqual(['auto-promote null->1', 'promote 1->2', 'rollback 2->1', 'unpin 1->1']);
    expect(history.events[1].by).toMatch(/^api:/);
    const detail = (await (await admin('GET', '/v1/models/1')).json()) as { lineage: Record<string, unknown> };
    expect(detail.lineage).toMatchObject({ runId: 'api-run', dataDigest: expect.stringMatching(/^[0-9a-f]{64}$/), schemaHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    await expectError(await admin('POST', '/v1/models/9/promote'), 404, 'not_found');
    await expectError(await admin('GET', '/v1/models/9'), 404, 'not_found');
  });

  it('exposes Prometheus metrics by route pattern, with predictions by model version and class', async () => {
    await post('/v1/predict', { features: row });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/tm_http_requests_total\{method="POST",route="\/v1\/predict",status="200"\} \d+/);
    expect(text).toMatch(/tm_http_requests_total\{method="POST",route="\/v1\/predict",status="422"\} \d+/);
    expect(text).toMatch(/tm_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/v1\/predict"\} \d+/);
    expect(text).toMatch(/tm_predictions_total\{model="phishing",version="\d",label="-?1"\} \d+/);
    expect(text).not.toMatch(/route="\/v1\/models\/9/);
  });
});
