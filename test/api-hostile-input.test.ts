import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelRegistry } from '../core/ports/model-registry.js';
import { ADMIN_KEY, PREDICT_KEY, startHostileApp } from './helpers/hostile-app.js';

type ErrorBody = { error: { code: string; message: string; details?: { field?: string; rule?: string }[] } };

/** Every detail of a 4xx names a field and a rule; nothing of a stack leaves the server. */
async function refusal(res: Response, status: number | 'any4xx'): Promise<ErrorBody['error']> {
  const text = await res.text();
  if (status === 'any4xx') expect(res.status, text).toBeGreaterThanOrEqual(400);
  if (status === 'any4xx') expect(res.status, text).toBeLessThan(500);
  else expect(res.status, text).toBe(status);
  const body = JSON.parse(text) as ErrorBody;
  expect(text).not.toMatch(/at .*\.ts:\d+/);
  expect(Array.isArray(body.error.details) && body.error.details.length > 0, text).toBe(true);
  for (const d of body.error.details!) {
    expect(typeof d.field, text).toBe('string');
    expect(typeof d.rule, text).toBe('string');
  }
  return body.error;
}

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('hostile input at the HTTP door (issue 12: defects 2, 3, 4, 11)', () => {
  let app: Awaited<ReturnType<typeof startHostileApp>>;
  beforeAll(async () => {
    app = await startHostileApp({ name: 'hostile' });
  });
  afterAll(async () => {
    await app.close();
  });
  const call = (method: string, path: string, body?: string, type = 'application/json', key = ADMIN_KEY) =>
    fetch(`${app.base}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': type } : {}) }, body });
  const startRun = (body: object) => call('POST', '/v1/training-runs', JSON.stringify(body));
  const upload = (body: string | Uint8Array) => call('POST', '/v1/batches', body as string, 'text/csv', PREDICT_KEY);

  it('refuses CSV uploads that are not CSV with a 422 naming field and rule: a bad quote, binary garbage, JSON sent as text/csv', async () => {
    await refusal(await upload('"a"x,c\n1,2\n'), 422);
    const garbage = new Uint8Array(4096);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 256;
    await refusal(await upload(garbage), 'any4xx');
    await refusal(await upload(JSON.stringify({ rows: [{ a: 1, b: '"x"' }] })), 'any4xx');
    expect(await app.queued()).toBe(0);
  });

  it('refuses a header over the limits (bytes, columns) with 413 / 422 at once, and keeps answering', async () => {
    const long = `${'x'.repeat(4 * 1024 * 1024)},b\n1,2\n`;
    const res = await upload(long);
    expect([413, 422]).toContain(res.status);
    await refusal(res, res.status);
    const wide = `${Array.from({ length: 50_000 }, (_, i) => `c${i}`).join(',')}\n`;
    const res2 = await upload(wide);
    expect([413, 422]).toContain(res2.status);
    await refusal(res2, res2.status);
    expect((await fetch(`${app.base}/healthz`)).status).toBe(200);
  });

  it('answers odd run ids with a 4xx naming the id, never a 500', async () => {
    for (const id of ['..%2f..%2fx', '..%2F..%2Fetc%2Fpasswd', 'a'.repeat(300), 'b'.repeat(8 * 1024), '%00', 'x%3Ay']) {
      for (const method of ['GET', 'DELETE']) {
        const err = await refusal(await call(method, `/v1/training-runs/${id}`), 'any4xx');
        expect(err.details![0].field).toBe('id');
      }
    }
  });

  it('refuses JSON nested beyond the documented depth on every JSON route, naming the rule', async () => {
    for (const [path, body] of [
      ['/v1/training-runs', `{"schema":{"a":${nested(20_000)}}}`],
      ['/v1/predict', `{"features":${nested(20_000)}}`],
      ['/v1/predict/batch', `{"rows":${nested(100)}}`],
      ['/v1/batches', `{"rows":${nested(5_000)}}`],
      ['/v1/predict', `{"features":{"__proto__x":${nested(200_000)}}}`],
    ]) {
      const err = await refusal(await call('POST', path, body, 'application/json', path.startsWith('/v1/training') ? ADMIN_KEY : PREDICT_KEY), 422);
      expect(err.details![0].rule).toBe('max-depth');
    }
  });

  it('only trains on s3://, mongodb:// or files under the data roots (after resolving symlinks): 422 naming data, nothing enqueued', async () => {
    await symlink('/etc/hostname', join(app.root, 'escape.csv'));
    for (const data of ['/etc/passwd', '../../../../etc/hostname', 'file:///etc/passwd', join(app.root, 'escape.csv'), join(app.root, '../artifacts'), join(app.root, 'missing.csv'), 'http://example.com/x.csv', 's3://bucket', 's3://', 'mongodb://', 'mongodb://host:notaport/db', 'mongodb://a b/db', 'mongodb+srv://h1:27017,h2/db']) {
      const err = await refusal(await startRun({ data, families: ['decision_tree'] }), 422);
      expect(err.details![0].field, data).toBe('data');
    }
    expect(await app.queued()).toBe(0);
    expect((await startRun({ data: join(app.root, 'ok.csv'), families: ['decision_tree'] })).status).toBe(202);
    expect((await startRun({ data: 'mongodb://h1:27017,h2:27018/db?replicaSet=rs', families: ['decision_tree'] })).status).toBe(202);
  });

  it('refuses unknown families, an empty schema and bad options before anything is enqueued, every 422 naming field and rule', async () => {
    const before = await app.queued();
    for (const body of [{ families: ['nope'] }, { config: { families: ['nope'] } }, { schema: {} }, { schema: { label: 'x' } }, { folds: 1 }, { config: { search: { nope: {} } } }, { name: '../x' }, { collection: '' }]) {
      await refusal(await startRun(body), 422);
    }
    expect(await app.queued()).toBe(before);
  });

  it('names field and rule in the too-large batch 422', async () => {
    const rows = Array.from({ length: 10_001 }, () => ({}));
    const err = await refusal(await call('POST', '/v1/predict/batch', JSON.stringify({ rows }), 'application/json', PREDICT_KEY), 422);
    expect(err.details![0]).toMatchObject({ field: 'rows', rule: 'max-rows' });
  });

  it('gives a 100 KB URL a 431 in the error shape', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(app.base);
      const req = request({ host: url.hostname, port: url.port, path: `/v1/models?x=${'a'.repeat(100 * 1024)}`, method: 'GET' }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(431);
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'headers_too_large' } });
  });
});

describe('faults behind the door', () => {
  it('answers 503 when Redis is down as a run is started, and logs it', async () => {
    const app = await startHostileApp({ name: 'hostile-noredis', redisUrl: 'redis://127.0.0.1:1' });
    try {
      const res = await fetch(`${app.base}/v1/training-runs`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: '{}' });
      const body = (await res.json()) as ErrorBody;
      expect(res.status).toBe(503);
      expect(body.error.code).toBe('queue_unavailable');
      expect(app.log.find((l) => l.status === 503)).toMatchObject({ level: 40, path: '/v1/training-runs', reqId: res.headers.get('x-request-id') });
    } finally {
      await app.close();
    }
  });

  it('logs every 500 with its request id and stack, and sends only a generic message', async () => {
    const failing = (r: ModelRegistry): ModelRegistry => Object.assign(Object.create(r) as ModelRegistry, { versions: () => Promise.reject(new Error('disk on fire at /secret/path')) });
    const app = await startHostileApp({ name: 'hostile-500', registry: failing });
    try {
      const res = await fetch(`${app.base}/v1/models`, { headers: { authorization: `Bearer ${ADMIN_KEY}`, 'x-request-id': 'req-500-test' } });
      const text = await res.text();
      expect(res.status).toBe(500);
      expect(text).not.toContain('secret');
      expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'internal error' } });
      const line = app.log.find((l) => l.reqId === 'req-500-test');
      expect(line).toMatchObject({ level: 50, status: 500 });
      expect(JSON.stringify(line)).toContain('disk on fire');
      expect((line!.err as { stack: string }).stack).toMatch(/at /);
    } finally {
      await app.close();
    }
  });
});
