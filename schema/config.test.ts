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
});
