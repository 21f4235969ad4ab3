import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { ModelHolder } from '../api/serving/model-holder.js';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { readCsv } from '../core/data/csv-reader.js';
import type { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { ModelChanges } from '../workers/model-changes.js';
import { redisConnection } from '../workers/queues.js';
import { phishingSchema, repoPath } from './helpers/datasets.js';
import { REDIS_URL, testPrefix } from './helpers/redis.js';
import { listen, trainPhishing } from './helpers/served.js';

const PREDICT = 'predict-key';
const ADMIN = 'admin-key';

/**
 * Two API processes' worth of serving (two apps, each with its own model holder and no polling)
 * sharing one artifact store and one Redis: a threshold change made through one is answered by both.
 */
describe('changing a version threshold', () => {
  let dir: string;
  let registry: ArtifactRegistry;
  let rows: Record<string, number>[];
  const prefix = testPrefix('threshold');
  const conn = redisConnection(REDIS_URL, 'producer');
  const apis: { base: string; close(): Promise<void>; changes: ModelChanges; models: ModelHolder }[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-threshold-'));
    const store = new LocalArtifactStore(dir);
    registry = await trainPhishing(store, 'threshold-run', ['logistic_regression']);
    const { dataset } = await readCsv(repoPath('data/phishing.csv'), phishingSchema());
    rows = Array.from({ length: 40 }, (_, i) => Object.fromEntries(dataset.features.columns.map((c) => [c.name, c.kind === 'numeric' ? c.values[i] : 0])));
    for (let i = 0; i < 2; i++) {
      const models = new ModelHolder('phishing', registry, store);
      await models.refresh();
      const changes = new ModelChanges(conn, prefix);
      await models.follow(changes);
      const app = buildApp({ models, registry, redisOk: async () => true, keys: { predict: [PREDICT], admin: [ADMIN] }, announce: (name) => changes.announce(name) });
      apis.push({ ...(await listen(app.fetch)), changes, models });
    }
  }, 120_000);

  afterAll(async () => {
    for (const a of apis) {
      a.changes.close();
      await a.close();
    }
    conn.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  const call = async (base: string, path: string, body: unknown, key = PREDICT) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const answers = async (base: string) => (await call(base, '/v1/predict/batch', { rows })).body as { predictions: { threat: boolean; score: number }[]; threshold: number };

  it('answers with the new threshold in every API process at once and keeps an audit entry', async () => {
    const [a, b] = apis;
    const trained = (await registry.get('phishing', 1))!.manifest.operatingPoint!.threshold;
    const before = await answers(b.base);
    expect(before.threshold).toBe(trained);
    for (const p of before.predictions) expect(p.threat).toBe(p.score >= trained);
    // A threshold between the rows' scores: some answers must flip.
    const scores = before.predictions.map((p) => p.score).sort((x, y) => x - y);
    const to = (scores[10] + scores[11]) / 2;
    const flipped = before.predictions.filter((p) => p.threat !== p.score >= to).length;
    expect(flipped).toBeGreaterThan(0);

    const changed = await call(a.base, '/v1/models/1/threshold', { threshold: to, note: 'more alarms for the audit week' }, ADMIN);
    expect(changed).toMatchObject({ status: 200, body: { version: 1, seq: 1, from: trained, to, by: expect.stringMatching(/^api:/), why: 'more alarms for the audit week' } });
    // The process that took the change answers with it on the next request.
    expect((await answers(a.base)).threshold).toBe(to);
    // The other one hears the announcement (it does not poll): no restart, no wait for a poll.
    for (let i = 0; i < 100 && b.models.model!.threshold !== to; i++) await new Promise((r) => setTimeout(r, 20));
    const after = await answers(b.base);
    expect(after.threshold).toBe(to);
    for (const p of after.predictions) expect(p.threat).toBe(p.score >= to);
    expect(after.predictions.filter((p, i) => p.threat !== before.predictions[i].threat)).toHaveLength(flipped);

    const audit = (await (await fetch(`${b.base}/v1/models/1/threshold`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { threshold: number; trained: { threshold: number }; events: unknown[] };
    expect(audit.threshold).toBe(to);
    expect(audit.trained.threshold).toBe(trained);
    expect(audit.events).toEqual([expect.objectContaining({ seq: 1, from: trained, to, why: 'more alarms for the audit week', at: expect.any(String) })]);
    const detail = (await (await fetch(`${a.base}/v1/models/1`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { operatingPoint: { threshold: number; rule: unknown } };
    expect(detail.operatingPoint).toMatchObject({ threshold: trained, rule: { maxF1: true } });
  });

  it('sets the threshold by a rule on the out-of-fold scores, and refuses bad requests by field', async () => {
    const [a, b] = apis;
    const r = await call(a.base, '/v1/models/1/threshold', { rule: { maxFalsePositiveRate: 0.02 } }, ADMIN);
    expect(r).toMatchObject({ status: 200, body: { seq: 2, rule: { maxFalsePositiveRate: 0.02 }, why: expect.stringMatching(/^maxFalsePositiveRate 0.02 \(out of fold: FPR 0\.0[0-2]/) } });
    for (let i = 0; i < 100 && b.models.model!.threshold !== r.body.to; i++) await new Promise((res) => setTimeout(res, 20));
    expect((await answers(b.base)).threshold).toBe(r.body.to);
    expect(await call(a.base, '/v1/models/1/threshold', { threshold: 0.5, rule: { maxF1: true } }, ADMIN)).toMatchObject({ status: 422 });
    expect(await call(a.base, '/v1/models/1/threshold', { threshold: 1.5 }, ADMIN)).toMatchObject({ status: 422, body: { error: { details: [expect.objectContaining({ field: 'threshold' })] } } });
    expect(await call(a.base, '/v1/models/9/threshold', { threshold: 0.5 }, ADMIN)).toMatchObject({ status: 404 });
    expect(await call(a.base, '/v1/models/1/threshold', { threshold: 0.5 }, PREDICT)).toMatchObject({ status: 403 });
  });
});
