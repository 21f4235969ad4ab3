import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import pino from 'pino';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { signAlert, WebhookAlertSink } from '../core/adapters/webhook-alert-sink.js';
import { storeFeedback } from '../core/monitoring/feedback-store.js';
import { loadReference, referenceKey } from '../core/monitoring/monitor-reference.js';
import { runMonitor, setMonitorCursor, type OnceMarks, type RetrainContext } from '../core/monitoring/monitor-run.js';
import { getWindow, listWindowIds } from '../core/monitoring/window-store.js';
import type { Alert } from '../core/ports/alert-sink.js';
import type { TrackedRun, Tracker } from '../core/ports/tracker.js';
import type { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { loadServedModel, type ServedModel } from '../core/registry/served-model.js';
import { MONITOR_QUEUE, type DatasetSchemaInput } from '../schema/index.js';
import { redisOnceMarks, startMonitoring } from '../workers/monitor.js';
import { redisConnection } from '../workers/queues.js';
import { registerFitted } from './helpers/fitted-model.js';
import { repoPath } from './helpers/datasets.js';
import { dropPrefix, REDIS_URL, testPrefix } from './helpers/redis.js';
import { trainPhishing } from './helpers/served.js';
import { logServedSpan, phishingRecords } from './helpers/monitor-traffic.js';

const silent = pino({ level: 'silent' });
const SECRET = 'monitor-test-secret';
const T0 = Date.parse('2026-11-30T06:00:00.000Z');
const W = 10 * 60_000;
const logServed = (store: LocalArtifactStore, served: ServedModel, records: { features: Record<string, number> }[], from: number, writer: string) => logServedSpan(store, served, records, from, W, writer);
const settings = { windowMs: W, windowRows: 0, minRows: 100, maxAgeMs: 60 * 60_000, settleMs: 0 };

/** A local webhook receiver that checks each delivery's signature. */
async function webhookReceiver(): Promise<{ url: string; alerts: Alert[]; badSignatures: number; server: Server }> {
  const got = { alerts: [] as Alert[], badSignatures: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      const ts = Number(req.headers['x-threatmatrix-timestamp']);
      if (req.headers['x-threatmatrix-signature'] !== signAlert(SECRET, ts, body)) got.badSignatures++;
      else got.alerts.push(JSON.parse(body) as Alert);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    server,
    get alerts() {
      return got.alerts;
    },
    get badSignatures() {
      return got.badSignatures;
    },
  };
}

describe('monitor job', () => {
  const prefix = testPrefix('monitor');
  const conn = redisConnection(REDIS_URL, 'worker');
  let dir: string;
  let store: LocalArtifactStore;
  let registry: ArtifactRegistry;
  let served: ServedModel;
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;
  const records = phishingRecords();
  const retrainCalls: RetrainContext[] = [];
  const retrain = async (ctx: RetrainContext) => {
    retrainCalls.push(ctx);
    return { runId: `feedback-${ctx.windowId}`, feedbackRows: 300 };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-monitor-'));
    store = new LocalArtifactStore(dir);
    registry = await trainPhishing(store, 'monitor-run');
    served = (await loadServedModel(registry, store, 'phishing', 1))!;
    hook = await webhookReceiver();
    // Window 1: rows like the training data. Window 2: half the features forced to one value
    // (covariate shift), with feedback whose labels are the opposite of the truth (concept shift).
    await logServed(store, served, records.slice(0, 1500), T0, 'w1');
    const shifted = records.slice(1500, 3000).map((r) => ({ ...r, features: Object.fromEntries(Object.entries(r.features).map(([k, v], j) => [k, j % 2 ? 1 : v])) }));
    const logged = await logServed(store, served, shifted, T0 + W, 'w2');
    await storeFeedback(store, logged.slice(0, 400).map((row, i) => ({ predictionId: row.id, label: shifted[i].label === '1' ? '-1' : '1' })));
    await setMonitorCursor(store, 'phishing', T0);
  }, 120_000);

  afterAll(async () => {
    await new Promise((r) => hook.server.close(r));
    await dropPrefix(conn, prefix);
    conn.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it('builds the version reference once from its training run, columns pre-sorted', async () => {
    const ref = await loadReference({ store, registry }, 'phishing', 1);
    expect(await store.exists(referenceKey('phishing', 1))).toBe(true);
    expect(ref.features!.columns).toHaveLength(30);
    expect(ref.trainRows).toBeGreaterThan(8000);
    expect(ref.testF1).toBeGreaterThan(0.85);
    expect(ref.scores!.length).toBeGreaterThan(2000);
    for (const c of ref.features!.columns) if (c.kind === 'numeric') for (let i = 1; i < c.sorted.length; i++) expect(c.sorted[i - 1] <= c.sorted[i]).toBe(true);
    expect(ref.missing).toBeUndefined();
    // Read back, not rebuilt: the same numbers.
    const again = await loadReference({ store, registry }, 'phishing', 1);
    expect(again.scores).toEqual(ref.scores);
  });

  it('stores a quiet window and an alerting one through the job scheduler, alerts the webhook signed, and calls the retrain hook', async () => {
    const monitoring = await startMonitoring({
      connection: conn,
      prefix,
      store,
      registry,
      log: silent,
      settings,
      every: { every: 1_000 },
      sink: new WebhookAlertSink(hook.url, { secret: SECRET, attempts: 2, backoffMs: 50 }),
      retrain,
      now: () => T0 + 2 * W + 30_000,
    });
    try {
      let ids: string[] = [];
      for (let i = 0; i < 300 && ids.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        ids = await listWindowIds(store, 'phishing');
      }
      expect(ids).toHaveLength(2);
      const quiet = (await getWindow(store, 'phishing', ids[0]))!;
      const shifted = (await getWindow(store, 'phishing', ids[1]))!;
      expect(quiet).toMatchObject({ model: 'phishing', version: 1, fromMs: T0, toMs: T0 + W, alerts: [] });
      expect(quiet.report.rows).toBe(1500);
      expect(quiet.report.features.share).toBeLessThan(0.2);
      expect(quiet.report.features.columns).toHaveLength(30);
      expect(quiet.report.realised).toBeUndefined();
      expect(Math.abs(quiet.report.estimated.f1.value - quiet.testF1)).toBeLessThan(0.1);
      expect(shifted.report.features.share).toBeGreaterThanOrEqual(0.5);
      expect(shifted.report.realised).toMatchObject({ labelled: 400 });
      expect(shifted.report.realised!.f1).toBeLessThan(0.3);
      // Drift alerts need two drifted windows in a row (alert-rules.ts `consecutive`): this is the first one.
      expect(shifted.alerts.map((a) => a.rule)).toContain('realisedF1');
      expect(shifted.alerts.map((a) => a.rule)).not.toContain('featureDrift');
      expect(shifted.action).toEqual({ kind: 'retrain', runId: `feedback-${ids[1]}`, feedbackRows: 300 });
      expect(retrainCalls).toEqual([{ model: 'phishing', version: 1, windowId: ids[1], fromMs: T0 + W, toMs: T0 + 2 * W, rules: shifted.alerts }]);
      expect(hook.badSignatures).toBe(0);
      expect(hook.alerts).toHaveLength(1);
      expect(hook.alerts[0]).toMatchObject({ id: `phishing:${ids[1]}`, model: 'phishing', modelVersion: 1, windowId: ids[1] });
      // Later runs of the schedule find nothing new (the window after is not over).
      // The job that stored them completes just after (cursor, progress); its result and progress say what it did.
      let done: Job | undefined;
      for (let i = 0; i < 100 && !done; i++) {
        done = (await monitoring.scheduler.queue.getJobs(['completed'])).find((j) => j.returnvalue?.windows.length === 2);
        if (!done) await new Promise((r) => setTimeout(r, 100));
      }
      expect(done?.returnvalue).toMatchObject({ model: 'phishing', windows: ids, alerted: [ids[1]], cursorMs: T0 + 2 * W });
      expect(done?.progress).toMatchObject({ windows: 2, cursorMs: T0 + 2 * W });
      expect((await monitoring.scheduler.queue.getJobSchedulers()).map((s) => s.key)).toEqual(['monitor-phishing']);
    } finally {
      await monitoring.close();
    }
    expect(MONITOR_QUEUE).toBe('monitor');
  }, 120_000);

  it('sends no second alert and starts no second run when a crashed run is retried', async () => {
    // As if the run had died after alerting but before storing the window and moving the cursor.
    const ids = await listWindowIds(store, 'phishing');
    await store.delete(`monitoring/phishing/windows/${new Date(T0 + W).toISOString().slice(0, 10)}/${ids[1]}.json`);
    await setMonitorCursor(store, 'phishing', T0 + W);
    const sink = new WebhookAlertSink(hook.url, { secret: SECRET });
    const result = await runMonitor({ store, registry, marks: redisOnceMarks(conn, prefix), log: silent, sink, retrain, now: () => T0 + 2 * W + 30_000 }, 'phishing', settings);
    expect(result).toMatchObject({ windows: [ids[1]], alerted: [ids[1]], cursorMs: T0 + 2 * W });
    expect(hook.alerts).toHaveLength(1);
    expect(retrainCalls).toHaveLength(1);
    expect((await getWindow(store, 'phishing', ids[1]))!.action).toEqual({ kind: 'retrain', runId: `feedback-${ids[1]}`, feedbackRows: 300 });
  }, 60_000);

  it("applies a model's own alert limits (TM_ALERT_LIMITS) over the fleet's", async () => {
    const ids = await listWindowIds(store, 'phishing');
    const shifted = (await getWindow(store, 'phishing', ids[1]))!;
    await store.delete(`monitoring/phishing/windows/${new Date(T0 + W).toISOString().slice(0, 10)}/${ids[1]}.json`);
    await setMonitorCursor(store, 'phishing', T0 + W);
    // One drifted window is enough for this model: featureDrift fires without a drifted window before it.
    await runMonitor({ store, registry, marks: memoryMarks(), log: silent, now: () => T0 + 2 * W + 30_000 }, 'phishing', { ...settings, modelLimits: { phishing: { consecutive: 1 }, other: { featureDriftShare: 1 } } });
    const again = (await getWindow(store, 'phishing', ids[1]))!;
    expect(shifted.alerts.map((a) => a.rule)).not.toContain('featureDrift');
    expect(again.alerts.map((a) => a.rule)).toContain('featureDrift');
  }, 60_000);

  it('holds back a window with too few rows until it fills or grows old', async () => {
    await logServed(store, served, records.slice(3000, 3050), T0 + 2 * W, 'w3');
    const logged: { metrics: Record<string, number>; step?: number }[] = [];
    const run = { id: 'mlflow-run-1', logMetrics: async (metrics: Record<string, number>, step?: number) => void logged.push({ metrics, step }) } as unknown as TrackedRun;
    const tracker: Tracker = { kind: 'fake', startRun: async () => run, attach: () => run };
    const deps = { store, registry, marks: memoryMarks(), log: silent, tracker };
    const early = await runMonitor({ ...deps, now: () => T0 + 3 * W + 1 }, 'phishing', settings);
    expect(early).toMatchObject({ windows: [], cursorMs: T0 + 2 * W });
    expect(early.held).toMatch(/50 rows since .* fewer than 100/);
    await logServed(store, served, records.slice(3050, 3150), T0 + 3 * W, 'w4');
    const filled = await runMonitor({ ...deps, now: () => T0 + 4 * W + 1 }, 'phishing', settings);
    expect(filled.windows).toEqual([expect.stringMatching(new RegExp(`^0*${T0 + 2 * W}-0*${T0 + 4 * W}-v1$`))]);
    expect((await getWindow(store, 'phishing', filled.windows[0]))!.report.rows).toBe(150);
    // Its figures went to the version's tracked run, at the window's end (minutes) as the step.
    expect(logged).toHaveLength(1);
    expect(logged[0].step).toBe(Math.floor((T0 + 4 * W) / 60_000));
    expect(logged[0].metrics).toMatchObject({ monitor_rows: 150, monitor_alerts: expect.any(Number) });
    expect(logged[0].metrics.monitor_estimated_f1).toBeGreaterThan(0.5);
  }, 60_000);

  it('cuts count windows of N predictions, one window per version in a span, and says when a version has no training rows', async () => {
    // A second model fitted without a training run (as an imported one): no train or test split.
    const schema = parseYaml(readFileSync(repoPath('schema/phishing.yaml'), 'utf8')) as DatasetSchemaInput;
    await registerFitted(store, { name: 'fitted', csv: repoPath('data/phishing.csv'), schema, kind: 'decision_tree', params: { maxDepth: 4 } });
    const fitted = (await loadServedModel(registry, store, 'fitted', 1))!;
    await registerFitted(store, { name: 'fitted', runId: 'fitted-v2', csv: repoPath('data/phishing.csv'), schema, kind: 'decision_tree', params: { maxDepth: 6 } });
    const fitted2 = (await loadServedModel(registry, store, 'fitted', 2))!;
    // 700 rows of v1 and 200 of v2 in the first ten minutes (a promotion mid-way), 100 of v1 after.
    await logServed(store, fitted, records.slice(0, 700), T0, 'f1');
    await logServed(store, fitted2, records.slice(700, 900), T0, 'f2');
    await logServed(store, fitted, records.slice(900, 1000), T0 + W, 'f3');
    await setMonitorCursor(store, 'fitted', T0);
    const r = await runMonitor({ store, registry, marks: memoryMarks(), log: silent, now: () => T0 + 3 * W }, 'fitted', { ...settings, windowRows: 300 });
    expect(r.held).toMatch(/\d+ rows since .* fewer than a window's 300/);
    const windows = await Promise.all(r.windows.map(async (id) => (await getWindow(store, 'fitted', id))!));
    const spans = new Map<string, number>();
    for (const w of windows) spans.set(`${w.fromMs}-${w.toMs}`, (spans.get(`${w.fromMs}-${w.toMs}`) ?? 0) + w.report.rows);
    expect(spans.size).toBe(3);
    for (const rows of spans.values()) expect(rows).toBeGreaterThanOrEqual(300);
    for (const rows of spans.values()) expect(rows).toBeLessThanOrEqual(302);
    expect(new Set(windows.map((w) => w.version))).toEqual(new Set([1, 2]));
    expect(windows.filter((w) => w.version === 2).reduce((n, w) => n + w.report.rows, 0)).toBe(200);
    const w = windows[0];
    expect(w.report.features.skipped).toMatch(/no train split/);
    expect(w.report.prediction.skipped).toMatch(/no test split/);
    expect(w.testF1 ?? NaN).toBeNaN();
    // A version's rows below TM_MONITOR_MIN_ROWS are stored but never alert.
    for (const small of windows.filter((x) => x.report.rows < settings.minRows)) expect(small.alerts).toEqual([]);
  }, 60_000);
});

/** OnceMarks in memory (one process, no Redis): enough where retries are not under test. */
function memoryMarks(): OnceMarks {
  const done = new Map<string, unknown>();
  return {
    async once<T>(key: string, fn: () => Promise<T>) {
      if (done.has(key)) return done.get(key) as T;
      const r = await fn();
      done.set(key, r);
      return r;
    },
  };
}
