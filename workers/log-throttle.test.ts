import { describe, expect, it } from 'vitest';
import { logThrottle } from './log-throttle.js';

describe('logThrottle', () => {
  it('lets one message of a kind through per period and counts the ones it dropped', () => {
    let t = 0;
    const allow = logThrottle(1_000, () => t);
    expect(allow('redis')).toEqual({ log: true, suppressed: 0 });
    for (let i = 0; i < 5; i++) expect(allow('redis').log).toBe(false);
    expect(allow('mlflow').log).toBe(true); // another kind has its own period
    t = 999;
    expect(allow('redis').log).toBe(false);
    t = 1_000;
    expect(allow('redis')).toEqual({ log: true, suppressed: 6 });
    expect(allow('redis').log).toBe(false);
  });
});
