import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { MonitorEverySchema } from './monitor.js';

describe('TM_MONITOR_EVERY', () => {
  it('takes off, durations (a bare number is ms) and cron patterns', () => {
    expect(MonitorEverySchema.parse('off')).toBeUndefined();
    expect(MonitorEverySchema.parse('5m')).toEqual({ every: 300_000 });
    expect(MonitorEverySchema.parse('90s')).toEqual({ every: 90_000 });
    expect(MonitorEverySchema.parse('1.5h')).toEqual({ every: 5_400_000 });
    expect(MonitorEverySchema.parse('60000')).toEqual({ every: 60_000 });
    expect(MonitorEverySchema.parse('*/10 * * * *')).toEqual({ pattern: '*/10 * * * *' });
  });

  it('refuses what it cannot schedule, naming the variable', () => {
    for (const bad of ['500', '5 minutes', 'often', '61 * * * *']) expect(() => loadConfig({ TM_MONITOR_EVERY: bad })).toThrow(/TM_MONITOR_EVERY/);
    expect(() => loadConfig({ TM_MONITOR_EVERY: '500' })).toThrow(ConfigError);
  });

  it('defaults to every five minutes, time windows, alert limits from alert-rules.ts', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ TM_MONITOR_EVERY: { every: 300_000 }, TM_MONITOR_WINDOW_MINUTES: 15, TM_MONITOR_WINDOW_ROWS: 0, TM_MONITOR_RETRAIN: false });
    expect(c.TM_ALERT_FEATURE_DRIFT_SHARE).toBeUndefined();
    expect(loadConfig({ TM_ALERT_FEATURE_DRIFT_SHARE: '0.3', TM_ALERT_PREDICTION_DRIFT: 'false', TM_ALERT_MIN_LABELLED: '' })).toMatchObject({ TM_ALERT_FEATURE_DRIFT_SHARE: 0.3, TM_ALERT_PREDICTION_DRIFT: false, TM_ALERT_MIN_LABELLED: undefined });
  });
});

describe('TM_ALERT_LIMITS', () => {
  it('takes per-model limits as JSON', () => {
    const c = loadConfig({ TM_ALERT_LIMITS: '{"phishing": {"consecutive": 1, "featureDriftShare": 0.3}, "flows": {"predictionDrift": false}}' });
    expect(c.TM_ALERT_LIMITS).toEqual({ phishing: { consecutive: 1, featureDriftShare: 0.3 }, flows: { predictionDrift: false } });
    expect(loadConfig({}).TM_ALERT_LIMITS).toBeUndefined();
  });

  it('refuses bad JSON, unknown limits and out-of-range values, naming the variable and the rule', () => {
    expect(() => loadConfig({ TM_ALERT_LIMITS: '{phishing' })).toThrow(/TM_ALERT_LIMITS.*JSON/s);
    expect(() => loadConfig({ TM_ALERT_LIMITS: '{"phishing": {"featureDrift": 0.3}}' })).toThrow(/TM_ALERT_LIMITS.*featureDrift/s);
    expect(() => loadConfig({ TM_ALERT_LIMITS: '{"phishing": {"featureDriftShare": 3}}' })).toThrow(/TM_ALERT_LIMITS.*featureDriftShare/s);
    expect(() => loadConfig({ TM_ALERT_LIMITS: '{"../x": {}}' })).toThrow(/TM_ALERT_LIMITS/);
  });
});
