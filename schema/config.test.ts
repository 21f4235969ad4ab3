import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ REDIS_URL: 'redis://127.0.0.1:6379', TM_ARTIFACTS: '.threatmatrix', TM_PROMOTION_METRIC: 'f1', TM_PROMOTION_MIN_DELTA: 0 });
    expect(c.MLFLOW_TRACKING_URI).toBeUndefined();
  });

  it('lists every bad variable in one error and never echoes a secret', () => {
    try {
      loadConfig({ REDIS_URL: 'nope', TM_PROMOTION_MIN_DELTA: '-1', S3_FORCE_PATH_STYLE: 'maybe', MLFLOW_TRACKING_PASSWORD: 'hunter2' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toMatch(/REDIS_URL/);
      expect(msg).toMatch(/TM_PROMOTION_MIN_DELTA/);
      expect(msg).toMatch(/S3_FORCE_PATH_STYLE/);
      expect(msg).not.toContain('hunter2');
    }
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ S3_ENDPOINT: '', MLFLOW_TRACKING_URI: '' }).S3_ENDPOINT).toBeUndefined();
  });

  // Issue 12 defect 12: these five were read with Number()/casts outside this schema, so a typo became NaN.
  it.each([
    ['TM_LOCK_DURATION_MS', 'abc'],
    ['TM_LOCK_DURATION_MS', '0'],
    ['TM_STALLED_INTERVAL_MS', '1.5'],
    ['TM_STALLED_INTERVAL_MS', '-5'],
    ['TM_SCORING_THREADS', 'many'],
    ['TM_SCORING_THREADS', '0'],
    ['TM_TF_BACKEND', 'gpu'],
    ['TM_API_KEY', ' '],
  ])('refuses %s=%j naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });

  it('parses the worker timers, scoring threads and TensorFlow backend', () => {
    const c = loadConfig({ TM_LOCK_DURATION_MS: '2000', TM_STALLED_INTERVAL_MS: '500', TM_SCORING_THREADS: '1', TM_TF_BACKEND: 'cpu', TM_API_KEY: 'k' });
    expect(c).toMatchObject({ TM_LOCK_DURATION_MS: 2000, TM_STALLED_INTERVAL_MS: 500, TM_SCORING_THREADS: 1, TM_TF_BACKEND: 'cpu', TM_API_KEY: 'k' });
    expect(loadConfig({})).toMatchObject({ TM_LOCK_DURATION_MS: 30_000, TM_STALLED_INTERVAL_MS: 30_000 });
  });
});
