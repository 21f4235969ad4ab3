/**
 * Issue 15, item 5, as a worker process runs it: with TM_MONITOR_RETRAIN on, `runWorkers` gives the
 * monitor job the feedback retraining action, so an alerting window with labelled feedback starts a
 * run on the configured source plus the labelled rows (its dataset stored, its id in the window's
 * action); without enough feedback it starts nothing and the window still alerts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { storeFeedback } from '../core/monitoring/feedback-store.js';
import { setMonitorCursor } from '../core/monitoring/monitor-run.js';
import { getWindow, listWindowIds, windowId, type MonitorWindow } from '../core/monitoring/window-store.js';
import { loadServedModel } from '../core/registry/served-model.js';
import { loadConfig } from '../schema/index.js';
import { feedbackDatasetKey } from '../workers/feedback-retrain.js';
import { redisConnection } from '../workers/queues.js';
import { feedbackRunId } from '../workers/run-jobs.js';
import { runWorkers } from '../workers/run-workers.js';
import { repoPath } from './helpers/datasets.js';
import { logServedSpan, phishingRecords } from './helpers/monitor-traffic.js';
import { dropPrefix, REDIS_URL, testPrefix } from './helpers/redis.js';
import { trainPhishing } from './helpers/served.js';

const silent = pino({ level: 'silent' });
const T0 = Date.parse('2026-11-30T06:00:00.000Z');
const W = 10 * 60_000;

/** Waits for a stored window of the span. */
async function windowOf(store: LocalArtifactStore, fromMs: number): Promise<MonitorWindow> {
  const id = windowId({ fromMs, toMs: fromMs + W }, 1);
  for (let i = 0; i < 300; i++) {
    if ((await listWindowIds(store, 'phishing')).includes(id)) return (await getWindow(store, 'phishing', id))!;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no window ${id}`);
}

describe('monitor retraining through runWorkers (TM_MONITOR_RETRAIN)', () => {
  const prefix = testPrefix('monitor-wiring');
  const conn = redisConnection(REDIS_URL, 'worker');
  let dir: string;
  let store: LocalArtifactStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-monitor-wiring-'));
    store = new LocalArtifactStore(dir);
    const registry = await trainPhishing(store, 'wiring-run');
    const served = (await loadServedModel(registry, store, 'phishing', 1))!;
    const records = phishingRecords();
    // Two concept-shifted windows, feedback labels the opposite of the truth: 100 in the first (too
    // few for a feedback run), 400 more in the second (the run takes the last 7 days' labels: 500).
    for (const [w, labelled] of [
      [0, 100],
      [1, 400],
    ]) {
      const rows = records.slice(1500 * w, 1500 * (w + 1));
      const logged = await logServedSpan(store, served, rows, T0 + w * W, W, `w${w}`);
      await storeFeedback(store, logged.slice(0, labelled).map((row, i) => ({ predictionId: row.id, label: rows[i].label === '1' ? '-1' : '1' })));
    }
    await setMonitorCursor(store, 'phishing', T0);
  }, 120_000);

  afterAll(async () => {
    await dropPrefix(conn, prefix);
    conn.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts a feedback run from an alerting window, and none when feedback is too thin', async () => {
    const config = loadConfig({
      REDIS_URL,
      TM_QUEUE_PREFIX: prefix,
      TM_ARTIFACTS: dir,
      TM_RETRAIN_DATA: repoPath('data/phishing.csv'),
      TM_RETRAIN_SCHEMA: repoPath('schema/phishing.yaml'),
      TM_MONITOR_EVERY: '1s',
      TM_MONITOR_WINDOW_MINUTES: '10',
      TM_MONITOR_MIN_ROWS: '100',
      TM_MONITOR_MAX_AGE_MINUTES: '60',
      TM_MONITOR_RETRAIN: 'true',
      // A feedback run needs TM_PROMOTION_MIN_ROWS / 0.2 usable rows: 250 here.
      TM_PROMOTION_MIN_ROWS: '50',
    });
    // Only the monitor queue: the run is enqueued, not trained.
    const workers = await runWorkers(config, silent, { queues: ['monitor'] });
    try {
      const first = await windowOf(store, T0);
      expect(first.alerts.map((a) => a.rule)).toContain('realisedF1');
      expect(first.action).toBeUndefined();

      const second = await windowOf(store, T0 + W);
      expect(second.alerts.map((a) => a.rule)).toContain('realisedF1');
      const runId = feedbackRunId('phishing', second.id);
      expect(second.action).toEqual({ kind: 'retrain', runId, feedbackRows: 500 });
      const csv = Buffer.from((await store.get(feedbackDatasetKey('phishing', runId)))!).toString('utf8');
      expect(csv.trimEnd().split('\n')).toHaveLength(501);
    } finally {
      await workers.close();
    }
  }, 120_000);
});
