import { afterAll, describe, expect, it } from 'vitest';
import { dropPrefix, REDIS_URL, testPrefix } from '../test/helpers/redis.js';
import { MONITOR_QUEUE, loadConfig } from '../schema/index.js';
import { alertSinkFrom, monitorSettingsFrom, MonitorScheduler, redisOnceMarks } from './monitor.js';
import { redisConnection } from './redis-connection.js';

describe('monitor worker parts', () => {
  const prefix = testPrefix('monitor-parts');
  const conn = redisConnection(REDIS_URL, 'worker');
  afterAll(async () => {
    await dropPrefix(conn, prefix);
    conn.disconnect();
  });

  it('runs a marked side effect once, hands later callers its result, and lets a retry run a failed one', async () => {
    const marks = redisOnceMarks(conn, prefix);
    let runs = 0;
    const effect = async () => ({ runId: `r${++runs}` });
    expect(await marks.once('a', effect)).toEqual({ runId: 'r1' });
    expect(await marks.once('a', effect)).toEqual({ runId: 'r1' });
    expect(runs).toBe(1);
    await expect(marks.once('b', () => Promise.reject(new Error('webhook down')))).rejects.toThrow(/webhook down/);
    expect(await marks.once('b', effect)).toEqual({ runId: 'r2' });
    expect(await conn.ttl(`${prefix}:monitor-once:a`)).toBeGreaterThan(86_400);
  });

  it('keeps one schedule per model, every N ms or on a cron pattern', async () => {
    const scheduler = new MonitorScheduler(conn, prefix);
    try {
      await scheduler.ensure('phishing', { every: 60_000 });
      await scheduler.ensure('phishing', { every: 120_000 });
      await scheduler.ensure('attacks', { pattern: '*/10 * * * *' });
      expect((await scheduler.models()).sort()).toEqual(['attacks', 'phishing']);
      const byKey = Object.fromEntries((await scheduler.queue.getJobSchedulers()).map((s) => [s.key, s]));
      expect(byKey['monitor-phishing']).toMatchObject({ every: 120_000 });
      expect(byKey['monitor-attacks']).toMatchObject({ pattern: '*/10 * * * *' });
      expect(scheduler.queue.name).toBe(MONITOR_QUEUE);
      expect(await scheduler.remove('attacks')).toBe(true);
      expect(await scheduler.models()).toEqual(['phishing']);
    } finally {
      await scheduler.close();
    }
  });

  it('takes its settings, limits and webhook from the configuration', () => {
    const config = loadConfig({ TM_MONITOR_WINDOW_MINUTES: '2', TM_MONITOR_WINDOW_ROWS: '5000', TM_ALERT_REALISED_F1_DROP: '0.1', TM_ALERT_PREDICTION_DRIFT: 'no' });
    expect(monitorSettingsFrom(config)).toEqual({ windowMs: 120_000, windowRows: 5_000, minRows: 200, maxAgeMs: 21_600_000, limits: { realisedF1Drop: 0.1, predictionDrift: false } });
    expect(alertSinkFrom(config)).toBeUndefined();
    expect(alertSinkFrom(loadConfig({ TM_ALERT_WEBHOOK_URL: 'https://hooks.example/x', TM_ALERT_WEBHOOK_SECRET: 's' }))?.kind).toBe('webhook');
  });
});
