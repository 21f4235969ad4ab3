/**
 * Monitoring surfaces (issue 15, item 4): GET /v1/monitoring/{model} and .../windows/{id}, the
 * `threatmatrix monitor` command and the tm_monitor_* gauges, on a real HTTP server reading
 * windows saved into a local artifact store.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitorCommand } from '../api/cli/monitor-command.js';
import { buildApp } from '../api/app.js';
import { ModelHolder } from '../api/serving/model-holder.js';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import type { Frame } from '../core/data/frame.js';
import { Rng } from '../core/data/rng.js';
import { saveWindow, windowId, type MonitorWindow } from '../core/monitoring/window-store.js';
import { windowReport } from '../core/monitoring/window-report.js';
import { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { loadConfig } from '../schema/config.js';
import type { MonitorSeries } from '../schema/monitoring.js';
import { repoPath } from './helpers/datasets.js';
import { listen } from './helpers/served.js';

const PREDICT = 'predict-key-monitoring';
const ADMIN = 'admin-key-monitoring';
const MIN = 60_000;
const HOUR = 60 * MIN;

/** Counts listings, to check the gauges' cache. */
class CountingStore extends LocalArtifactStore {
  lists = 0;
  override list(prefix: string) {
    this.lists++;
    return super.list(prefix);
  }
}

/** Two numeric features and calibrated scores; `shift` moves the first feature (drift). */
function traffic(n: number, rng: Rng, shift = 0): { frame: Frame; scores: Float64Array; labels: Int8Array } {
  const a = Float64Array.from({ length: n }, () => rng.normal() + shift);
  const b = Float64Array.from({ length: n }, () => rng.next() * 4);
  const scores = Float64Array.from({ length: n }, () => (rng.next() < 0.3 ? 0.7 + 0.3 * rng.next() : 0.3 * rng.next()));
  // Labels drawn from the scores (calibrated); every other row has feedback.
  const labels = Int8Array.from(scores, (p, i) => (i % 2 ? -1 : rng.next() < p ? 1 : 0));
  return { frame: { nRows: n, columns: [{ kind: 'numeric', name: 'a', values: a }, { kind: 'numeric', name: 'b', values: b }] }, scores, labels };
}

describe('monitoring surfaces through the real API', () => {
  let dir: string;
  let store: CountingStore;
  let http: Awaited<ReturnType<typeof listen>>;
  const now = Date.now();
  // Half-hour windows, aligned so that none straddles "24 hours ago".
  const t0 = Math.floor(now / (30 * MIN)) * 30 * MIN - 3 * HOUR;
  const saved: MonitorWindow[] = [];
  const config = loadConfig({});
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const get = async (path: string, key = ADMIN) => {
    const res = await fetch(`${http.base}${path}`, { headers: auth(key) });
    return { status: res.status, body: (await res.json()) as MonitorSeries & MonitorWindow & { error: { code: string; message: string; details: { field: string; rule: string }[] } } };
  };

  async function save(fromMs: number, toMs: number, version: number, o: { shift?: number; labelled?: boolean; retrain?: boolean } = {}) {
    const rng = new Rng(fromMs % 1000);
    const ref = traffic(2_000, rng);
    const cur = traffic(400, rng, o.shift);
    const report = windowReport({ reference: ref.frame, referenceScores: ref.scores, current: cur.frame, scores: cur.scores, threshold: 0.5, labels: o.labelled ? cur.labels : undefined });
    const alerts = report.features.drifted ? [{ rule: 'featureDrift', value: report.features.share, limit: 0.5, message: `${report.features.driftedColumns} of 2 features drifted` }] : [];
    const w: MonitorWindow = {
      id: windowId({ fromMs, toMs }, version),
      model: 'phishing',
      version,
      fromMs,
      toMs,
      createdAt: new Date(toMs + 1000).toISOString(),
      testF1: 0.95,
      report,
      alerts,
      action: o.retrain ? { kind: 'retrain', runId: `retrain-${fromMs}`, feedbackRows: 200 } : undefined,
    };
    await saveWindow(store, w);
    saved.push(w);
    return w;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-monitoring-'));
    store = new CountingStore(dir);
    const registry = new ArtifactRegistry(store);
    await registry.register('churn', { kind: 'pipeline', version: 1, params: {}, state: {} }, { runId: 'churn-run', family: 'x', params: {}, metrics: {}, schemaHash: 'h', dataDigest: 'd' });
    // Older than the default 24 hours: left out unless asked for.
    await save(t0 - 30 * HOUR, t0 - 30 * HOUR + 30 * MIN, 1);
    // v1 then v2 (promoted at t0 + 1 h, both served in that hour), drift and feedback in the last two.
    await save(t0, t0 + 30 * MIN, 1);
    await save(t0 + 30 * MIN, t0 + HOUR, 1);
    await save(t0 + HOUR, t0 + 90 * MIN, 1);
    await save(t0 + HOUR, t0 + 90 * MIN, 2);
    await save(t0 + 90 * MIN, t0 + 2 * HOUR, 2, { labelled: true });
    await save(t0 + 2 * HOUR, t0 + 150 * MIN, 2, { shift: 3, labelled: true, retrain: true });
    const app = buildApp({ models: new ModelHolder('phishing', registry, store), registry, redisOk: async () => true, keys: { predict: [PREDICT], admin: [ADMIN] }, monitorGaugeCacheMs: 2_000 });
    http = await listen(app.fetch);
  });
  afterAll(async () => {
    await http?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers a model's windows of the last 24 hours, oldest first, with the figures of each", async () => {
    const { status, body } = await get('/v1/monitoring/phishing');
    expect(status).toBe(200);
    expect(body).toMatchObject({ model: 'phishing', truncated: false, total: 6 });
    expect(body.toMs - body.fromMs).toBe(24 * HOUR);
    expect(body.windows.map((w) => w.id)).toEqual(saved.slice(1).map((w) => w.id));
    const last = body.windows[5];
    const stored = saved[6];
    const est = stored.report.estimated.f1;
    expect(last).toMatchObject({ version: 2, fromMs: stored.fromMs, toMs: stored.toMs, rows: 400, driftShare: stored.report.features.share, driftedFeatures: ['a'] });
    expect(last.estimatedF1.value).toBeCloseTo(est.value, 12);
    expect(last.estimatedF1.lower).toBeCloseTo(est.value - 1.96 * est.se, 12);
    expect(last.estimatedF1.upper).toBeCloseTo(est.value + 1.96 * est.se, 12);
    expect(est.se).toBeGreaterThan(0);
    expect(last.realised).toMatchObject({ labelled: 200, coverage: 0.5, f1: stored.report.realised!.f1 });
    expect(last.alerts.map((a) => a.rule)).toEqual(['featureDrift']);
    expect(last.action).toEqual({ kind: 'retrain', runId: `retrain-${stored.fromMs}`, feedbackRows: 200 });
    expect(last.predictionDrift).toMatchObject({ drifted: stored.report.prediction.drifted, test: stored.report.prediction.test });
    expect(last.threatShare).toBeCloseTo(stored.report.prediction.threatShare, 12);
    // Unshifted, without feedback: no drift, no realised F1, no alert.
    expect(body.windows[0]).toMatchObject({ version: 1, driftedFeatures: [], realised: null, alerts: [], action: null });
  });

  it('takes from and to as ISO 8601 or Unix ms, windows overlapping [from, to)', async () => {
    const iso = (ms: number) => new Date(ms).toISOString();
    // Without a zone: UTC.
    let r = await get(`/v1/monitoring/phishing?from=${iso(t0 + 30 * MIN).replace('Z', '')}&to=${iso(t0 + 90 * MIN)}`);
    expect(r.status).toBe(200);
    expect(r.body.windows.map((w) => w.id)).toEqual([saved[2].id, saved[3].id, saved[4].id]);
    r = await get(`/v1/monitoring/phishing?from=${t0 - 31 * HOUR}&to=${t0}`);
    expect(r.body.windows.map((w) => w.id)).toEqual([saved[0].id]);
    r = await get(`/v1/monitoring/phishing?from=${t0 + 150 * MIN}&to=${t0 + 4 * HOUR}`);
    expect(r.body).toMatchObject({ windows: [], total: 0 });
  });

  it('keeps the newest windows past the limit and says truncated', async () => {
    const { body } = await get('/v1/monitoring/phishing?limit=2');
    expect(body).toMatchObject({ truncated: true, total: 6 });
    expect(body.windows.map((w) => w.id)).toEqual([saved[5].id, saved[6].id]);
  });

  it('refuses bad from, to, limit, model and window ids with 400 naming the field; an unknown model with 404', async () => {
    const refused = async (path: string, status: number, field: string) => {
      const r = await get(path);
      expect(r.status, path).toBe(status);
      expect(r.body.error.details[0].field, path).toBe(field);
      return r.body.error.message;
    };
    expect(await refused('/v1/monitoring/phishing?from=yesterday', 400, 'from')).toMatch(/from must be Unix milliseconds or an ISO 8601/);
    await refused('/v1/monitoring/phishing?to=2026-13-45T00:00:00Z', 400, 'to');
    expect(await refused(`/v1/monitoring/phishing?from=${t0}&to=${t0}`, 400, 'from')).toMatch(/must be before to/);
    await refused('/v1/monitoring/phishing?limit=0', 400, 'limit');
    await refused('/v1/monitoring/phishing?limit=99999', 400, 'limit');
    await refused('/v1/monitoring/-phishing', 400, 'model');
    await refused('/v1/monitoring/phishing/windows/latest', 400, 'id');
    expect(await refused('/v1/monitoring/ghost', 404, 'model')).toMatch(/ghost/);
    expect(await refused(`/v1/monitoring/phishing/windows/${windowId({ fromMs: t0, toMs: t0 + MIN }, 1)}`, 404, 'id')).toMatch(/phishing has no window/);
    // A registered model without windows is known: an empty series.
    expect(await get('/v1/monitoring/churn')).toMatchObject({ status: 200, body: { model: 'churn', windows: [], total: 0 } });
    // So is a model no longer registered whose windows are older than the span.
    await saveWindow(store, { ...saved[0], model: 'retired' });
    expect(await get('/v1/monitoring/retired')).toMatchObject({ status: 200, body: { model: 'retired', windows: [], total: 0 } });
    expect((await get(`/v1/monitoring/retired?from=0&to=${t0}`)).body.windows.map((w) => w.id)).toEqual([saved[0].id]);
  });

  it('answers one window in full, as stored', async () => {
    const w = saved[6];
    const { status, body } = await get(`/v1/monitoring/phishing/windows/${w.id}`);
    expect(status).toBe(200);
    expect(body).toEqual(JSON.parse(JSON.stringify(w)));
    expect(body.report.features.columns.map((c) => c.column)).toEqual(['a', 'b']);
    expect((await get(`/v1/monitoring/churn/windows/${w.id}`)).status).toBe(404);
  });

  it('needs an admin key, as GET /v1/models, and is in the OpenAPI document', async () => {
    for (const path of ['/v1/monitoring/phishing', `/v1/monitoring/phishing/windows/${saved[1].id}`]) {
      expect((await fetch(`${http.base}${path}`)).status, path).toBe(401);
      expect((await get(path, PREDICT)).status, path).toBe(403);
      expect((await get(path, ADMIN)).status, path).toBe(200);
    }
    const doc = (await (await fetch(`${http.base}/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string; security: unknown }>>; components: { schemas: Record<string, unknown> } };
    expect(doc.paths['/v1/monitoring/{model}'].get).toMatchObject({ operationId: 'listMonitorWindows', security: [{ apiKey: ['admin'] }] });
    expect(doc.paths['/v1/monitoring/{model}/windows/{id}'].get).toMatchObject({ operationId: 'getMonitorWindow', security: [{ apiKey: ['admin'] }] });
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['MonitorSeries', 'MonitorWindow']));
  });

  it('exposes the latest window per served version as gauges, read from the store at most once per cache period', async () => {
    const scrape = async () => (await (await fetch(`${http.base}/metrics`)).text()).split('\n').filter((l) => l.startsWith('tm_monitor_'));
    await new Promise((r) => setTimeout(r, 2_100)); // past any read an earlier request made
    const before = store.lists;
    const lines = await scrape();
    const latest = saved[6];
    const labels = '{model="phishing",version="2"}';
    const value = (name: string) => Number(lines.find((l) => l.startsWith(`tm_monitor_${name}${labels} `))?.split(' ')[1]);
    expect(value('drift_share')).toBeCloseTo(latest.report.features.share, 9);
    expect(value('estimated_f1')).toBeCloseTo(latest.report.estimated.f1.value, 9);
    expect(value('realised_f1')).toBeCloseTo(latest.report.realised!.f1, 9);
    expect(value('alert')).toBe(1);
    expect(value('window_rows')).toBe(400);
    expect(value('window_age_seconds')).toBeGreaterThan((Date.now() - latest.toMs) / 1000 - 60);
    // v1 stopped before v2's latest window began: no series of it.
    expect(lines.filter((l) => l.includes('version="1"'))).toEqual([]);
    // One listing of the newest day folder (two when the windows began before midnight UTC).
    const perRead = store.lists - before;
    expect(perRead).toBeGreaterThanOrEqual(1);
    expect(perRead).toBeLessThanOrEqual(2);
    await Promise.all([scrape(), scrape(), scrape()]);
    expect(store.lists - before).toBe(perRead);

    // A newer window shows once the cache expired (the scrape that finds it expired starts the read).
    const next = await save(t0 + 150 * MIN, t0 + 180 * MIN, 2);
    await new Promise((r) => setTimeout(r, 2_100));
    await expect.poll(scrape).toContain(`tm_monitor_alert${labels} 0`);
    const after = await scrape();
    expect(store.lists - before).toBeLessThanOrEqual(2 * perRead);
    expect(store.lists - before).toBeGreaterThan(perRead);
    expect(after).toContain(`tm_monitor_alert${labels} 0`);
    expect(after.some((l) => l.startsWith('tm_monitor_realised_f1'))).toBe(false);
    expect(after).toContain(`tm_monitor_window_rows${labels} ${next.report.rows}`);
    saved.pop();
    await store.delete(`monitoring/phishing/windows/${new Date(next.fromMs).toISOString().slice(0, 10)}/${next.id}.json`);
  });

  it('prints the windows as a table through `threatmatrix monitor`, or JSON', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: { write: (s: string) => out.push(s) }, err: { write: (s: string) => err.push(s) } };
    expect(await monitorCommand(['--url', http.base, '--key', ADMIN], config, io)).toBe(0);
    const lines = out.join('').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^time \(UTC\)\s+span\s+version\s+rows\s+drift\s+est\. F1 ±\s+realised F1 \(coverage\)\s+alerts$/);
    expect(lines).toHaveLength(7);
    const last = saved[6];
    const est = last.report.estimated.f1;
    expect(lines[6]).toContain(new Date(last.fromMs).toISOString().slice(0, 19).replace('T', ' '));
    expect(lines[6]).toMatch(/ 30m +v2 +400 /);
    expect(lines[6]).toContain(`${est.value.toFixed(3)} ± ${(1.96 * est.se).toFixed(3)}`);
    expect(lines[6]).toContain(`${last.report.realised!.f1.toFixed(3)} (50.0 %)`);
    expect(lines[6]).toMatch(/featureDrift -> retrain retrain-\d+ \(200 feedback rows\)$/);
    expect(lines[1]).toMatch(/ v1 .* - +-$/);

    out.length = 0;
    expect(await monitorCommand(['--url', http.base, '--key', ADMIN, '--json', '--from', String(t0 + 90 * MIN)], config, io)).toBe(0);
    expect((JSON.parse(out.join('')) as MonitorSeries).windows.map((w) => w.id)).toEqual([saved[5].id, saved[6].id]);

    err.length = 0;
    expect(await monitorCommand(['--url', http.base, '--key', ADMIN, '--model', 'ghost'], config, io)).toBe(1);
    expect(err.join('')).toMatch(/refused \(404\): no model ghost/);
    expect(await monitorCommand(['--url', http.base, '--key', PREDICT], config, io)).toBe(1);
    expect(err.join('')).toMatch(/refused \(403\)/);
    expect(await monitorCommand(['--url', 'http://127.0.0.1:1', '--key', ADMIN], config, io)).toBe(1);
    expect(err.join('')).toMatch(/cannot reach the API at http:\/\/127\.0\.0\.1:1\/v1\/monitoring\/phishing/);
    expect(await monitorCommand(['--url', http.base, '--follow', '--to', '1'], config, io)).toBe(2);
    expect(await monitorCommand(['--bogus'], config, io)).toBe(2);
  });

  it('--follow prints new windows as they are written until stopped', async () => {
    const out: string[] = [];
    const stop = new AbortController();
    const io = { out: { write: (s: string) => out.push(s) }, err: { write: () => undefined }, stop: stop.signal };
    const done = monitorCommand(['--url', http.base, '--key', ADMIN, '--follow', '--every', '1', '--json'], config, io);
    await expect.poll(() => out.length, { timeout: 10_000 }).toBe(6);
    // Written now, for a window that ended a minute ago (the monitor's usual lag).
    const end = Math.floor(Date.now() / MIN) * MIN - MIN;
    const fresh = await save(end - 5 * MIN, end, 2);
    await expect.poll(() => out.length, { timeout: 10_000 }).toBe(7);
    expect(JSON.parse(out[6])).toMatchObject({ id: fresh.id, rows: 400 });
    await new Promise((r) => setTimeout(r, 1_500)); // another poll: nothing printed twice
    expect(out).toHaveLength(7);
    stop.abort();
    expect(await done).toBe(0);
    saved.pop();
    await store.delete(`monitoring/phishing/windows/${new Date(fresh.fromMs).toISOString().slice(0, 10)}/${fresh.id}.json`);
  });

  it('`threatmatrix monitor --follow` exits 0 on Ctrl-C', async () => {
    const child = spawn(process.execPath, [repoPath('api/bin/threatmatrix.mjs'), 'monitor', '--follow', '--every', '1', '--url', http.base, '--key', ADMIN], {
      cwd: repoPath(''),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await expect.poll(() => text, { timeout: 60_000, interval: 200 }).toMatch(/v2 +400 .*featureDrift/);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 90_000);
});
