import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { phishingSchema } from './helpers/datasets.js';
import { ADMIN_KEY, PREDICT_KEY, startHostileApp } from './helpers/hostile-app.js';

/**
 * Property-based fuzzing of every JSON and CSV entry point over real HTTP (issue 12): generated
 * bodies never get a 5xx, never hang, and every 4xx is the error shape with a field and a rule
 * per detail. Seeded: a failure prints its seed and path, and replays with them.
 */
const SEED = 1212;
const TIMEOUT_MS = 15_000;

type Answer = { status: number; text: string };

describe('fuzzing the entry points (fast-check, real HTTP)', () => {
  let app: Awaited<ReturnType<typeof startHostileApp>>;
  const features = phishingSchema().features.map((f) => f.name);
  beforeAll(async () => {
    app = await startHostileApp({ name: 'fuzz', maxJsonBytes: 1024 * 1024 });
  });
  afterAll(async () => {
    await app.close();
  });

  async function send(method: string, path: string, body: string | Uint8Array | undefined, type: string, key: string): Promise<Answer> {
    const res = await fetch(`${app.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': type }) },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    return { status: res.status, text: await res.text() };
  }

  /** The property every answer keeps. */
  function wellFormed({ status, text }: Answer): boolean {
    if (status >= 500) throw new Error(`${status}: ${text.slice(0, 300)}`);
    if (status < 400) return true;
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const e = body.error;
    if (!e || typeof e.code !== 'string' || typeof e.message !== 'string') throw new Error(`no error shape: ${text.slice(0, 300)}`);
    const details = e.details as { field?: unknown; rule?: unknown }[] | undefined;
    if (!Array.isArray(details) || !details.length || details.some((d) => typeof d.field !== 'string' || typeof d.rule !== 'string')) {
      throw new Error(`${status} without field and rule: ${text.slice(0, 300)}`);
    }
    return true;
  }

  const check = (arb: fc.Arbitrary<() => Promise<Answer>>, numRuns: number) =>
    fc.assert(
      fc.asyncProperty(arb, async (call) => wellFormed(await call())),
      { numRuns, seed: SEED, endOnFailure: true },
    );

  // Values a hostile client puts where a feature value goes.
  const anyValue = fc.oneof(
    fc.constantFrom(-1, 0, 1),
    fc.double(),
    fc.integer(),
    fc.string({ maxLength: 30 }),
    fc.constantFrom(null, true, false, '', 'NaN', 'Infinity', '1e309', '-0', '__proto__'),
    fc.jsonValue({ maxDepth: 3 }),
  );
  const featureName = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...features) }, fc.string({ maxLength: 20 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'Result', ''));
  const record = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.array(anyValue, { minLength: features.length, maxLength: features.length }), fc.boolean()).map(([vals, keep]) => Object.fromEntries(features.map((f, i) => [f, keep ? [-1, 0, 1][Math.abs(Number(vals[i]) || 0) % 3] : vals[i]]))) },
    fc.dictionary(featureName, anyValue, { maxKeys: 40 }),
    fc.jsonValue({ maxDepth: 3 }),
  );
  /** JSON text of the value, or something close to JSON: cut, nested deep, with duplicate keys or escapes. */
  const jsonText = (value: fc.Arbitrary<unknown>) =>
    fc.oneof(
      { weight: 6, arbitrary: value.map((v) => JSON.stringify(v)) },
      value.chain((v) => fc.nat({ max: Math.max(0, JSON.stringify(v).length) }).map((n) => JSON.stringify(v).slice(0, n))),
      fc.integer({ min: 1, max: 3000 }).map((d) => `{"features":${'['.repeat(d)}${']'.repeat(d)}}`),
      fc.string({ maxLength: 200 }),
      value.map((v) => JSON.stringify(v).replace(/"([a-z])/gi, '"\\u00$1'.replace('$1', '6$1'))),
      fc.constantFrom('{"__proto__":{"x":1}}', '{"features":{"a":1,"a":2}}', 'null', '[]', '""', '{}', '{"rows":{}}', '\uFEFF{}'),
    );

  it('POST /v1/predict and /v1/predict/batch', async () => {
    await check(
      jsonText(fc.oneof(record.map((r) => ({ features: r })), fc.jsonValue({ maxDepth: 4 }))).map((body) => () => send('POST', '/v1/predict', body, 'application/json', PREDICT_KEY)),
      400,
    );
    await check(
      jsonText(fc.oneof(fc.array(record, { maxLength: 30 }).map((rows) => ({ rows })), fc.jsonValue({ maxDepth: 4 }))).map((body) => () => send('POST', '/v1/predict/batch', body, 'application/json', PREDICT_KEY)),
      300,
    );
  });

  it('POST /v1/training-runs, GET and DELETE /v1/training-runs/{id}', async () => {
    const schema = JSON.parse(JSON.stringify(phishingSchema())) as Record<string, unknown>;
    const data = fc.oneof(
      fc.constantFrom(join(app.root, 'ok.csv'), '/etc/passwd', '../../etc/hostname', 'file:///etc/passwd', 's3://b/k', 's3://', 'mongodb://h/db', 'mongodb://', 'mongodb+srv://a,b/db', 'http://x/y', join(app.root, '..')),
      fc.string({ maxLength: 40 }),
    );
    const runBody = fc.record(
      {
        data,
        collection: fc.oneof(fc.string({ maxLength: 10 }), anyValue),
        schema: fc.oneof(fc.constant(schema), fc.constant({}), fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }), anyValue),
        families: fc.oneof(fc.array(fc.constantFrom('decision_tree', 'knn', 'nope', ''), { maxLength: 3 }), anyValue),
        folds: anyValue,
        testSize: anyValue,
        refitAll: anyValue,
        allowPartial: anyValue,
        name: fc.oneof(fc.string({ maxLength: 12 }), anyValue),
        timeBudgetSeconds: anyValue,
        config: fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.record({ search: fc.dictionary(fc.constantFrom('decision_tree', 'knn', 'x'), fc.jsonValue({ maxDepth: 3 })) }, { requiredKeys: [] })),
        extra: anyValue,
      },
      { requiredKeys: [] },
    );
    await check(jsonText(runBody).map((body) => () => send('POST', '/v1/training-runs', body, 'application/json', ADMIN_KEY)), 300);
    const id = fc.oneof(fc.string({ maxLength: 100 }), fc.constantFrom('..%2f..%2fx', '%00', 'a'.repeat(300), 'run-1', '1234', '.', '..'));
    await check(
      fc.tuple(fc.constantFrom('GET', 'DELETE'), id).map(([method, s]) => () => send(method, `/v1/training-runs/${/%/.test(s) ? s : encodeURIComponent(s)}`, undefined, '', ADMIN_KEY)),
      200,
    );
  });

  it('models routes: versions, promote, rollback', async () => {
    const version = fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String), fc.double().map(String), fc.constantFrom('1', '0', '-1', '1e3', '0x1', '9'.repeat(400), '1.5', 'NaN'));
    await check(
      fc.tuple(fc.constantFrom('GET /v1/models/', 'POST /v1/models/', 'POST /v1/models/rollback', 'GET /v1/models'), version, fc.option(jsonText(fc.jsonValue({ maxDepth: 3 })))).map(([route, v, body]) => {
        const [method, path] = route.split(' ');
        const url = path.endsWith('/') ? `${path}${encodeURIComponent(v)}${method === 'POST' ? '/promote' : ''}` : path;
        return () => send(method, url, method === 'POST' ? (body ?? undefined) : undefined, 'application/json', ADMIN_KEY);
      }),
      300,
    );
  });

  it('GET /v1/monitoring/{model} (from, to, limit) and /windows/{id}', async () => {
    const text = fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String), fc.double().map(String), fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? 'Invalid' : d.toISOString())), fc.constantFrom('', '0', '-1', '1e400', '9'.repeat(400), '2026-13-40', 'now', '%', '%zz'));
    const model = fc.oneof(fc.constantFrom('fuzz', 'phishing', '..', 'a'.repeat(300)), fc.string({ maxLength: 20 }));
    const id = fc.oneof(fc.constantFrom('0000000000000-0000000000001-v1', '9999999999999-0000000000000-v1', '0000000000000-9999999999999-v0'), fc.string({ maxLength: 40 }));
    const q = (k: string, v: string | null) => (v === null ? '' : `&${k}=${encodeURIComponent(v)}`);
    await check(
      fc.tuple(model, fc.option(text), fc.option(text), fc.option(text)).map(([m, from, to, limit]) => () => send('GET', `/v1/monitoring/${encodeURIComponent(m)}?x=1${q('from', from)}${q('to', to)}${q('limit', limit)}`, undefined, '', ADMIN_KEY)),
      300,
    );
    await check(
      fc.tuple(model, id).map(([m, w]) => () => send('GET', `/v1/monitoring/${encodeURIComponent(m)}/windows/${encodeURIComponent(w)}`, undefined, '', ADMIN_KEY)),
      200,
    );
  });

  it('POST /v1/batches with generated CSV: binary, quotes, huge cells, BOMs, CRLF, mismatched columns', async () => {
    const cell = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('-1', '0', '1') },
      fc.string({ maxLength: 12 }),
      fc.string({ maxLength: 12 }).map((s) => `"${s.replaceAll('"', '""')}"`),
      fc.constantFrom('"', '""', '"a"b', 'a"b', '"a,b"', '"\n"', '\r', '', ' ', '\u0000', '\uFEFF', 'NaN', '1e309'),
    );
    const headerCells = fc.oneof(
      { weight: 4, arbitrary: fc.shuffledSubarray(features, { minLength: features.length - 2, maxLength: features.length }).chain((names) => fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }).map((extra) => [...names, ...extra])) },
      fc.array(cell, { minLength: 1, maxLength: 40 }),
    );
    const csv = fc
      .record({
        header: headerCells,
        rows: fc.array(fc.array(cell, { minLength: 28, maxLength: 34 }), { maxLength: 20 }),
        eol: fc.constantFrom('\n', '\r\n', '\r'),
        bom: fc.boolean(),
        trailing: fc.constantFrom('', '\n', '\n\n', '"'),
        // One huge cell, around the header (256 KiB) and record (1 MiB) limits, in the header or a row.
        huge: fc.option(fc.tuple(fc.integer({ min: 1, max: 1_100_000 }), fc.nat(20), fc.nat(40)), { freq: 8 }),
      })
      .map(({ header, rows, eol, bom, trailing, huge }) => {
        const lines = [header, ...rows];
        if (huge) {
          const line = lines[huge[1] % lines.length];
          line[huge[2] % line.length] = 'x'.repeat(huge[0]);
        }
        return Buffer.from(`${bom ? '\uFEFF' : ''}${lines.map((r) => r.join(',')).join(eol)}${trailing}`);
      });
    const body = fc.oneof({ weight: 5, arbitrary: csv }, fc.uint8Array({ maxLength: 4096 }).map((b) => Buffer.from(b)), jsonText(fc.jsonValue({ maxDepth: 3 })).map((t) => Buffer.from(t)));
    await check(
      fc.tuple(body, fc.constantFrom('text/csv', 'text/csv; charset=utf-8', 'application/json', 'text/plain')).map(([b, type]) => () => send('POST', '/v1/batches', b, type, PREDICT_KEY)),
      300,
    );
  });
});
