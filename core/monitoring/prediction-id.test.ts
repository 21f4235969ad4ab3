import { describe, expect, it } from 'vitest';
import { batchIdRange, idAt, idTime, newIdRange, PREDICTION_ID } from './prediction-id.js';

describe('prediction ids', () => {
  it('are UUIDv7 carrying their millisecond, in row order within a range', () => {
    const ms = Date.parse('2026-11-30T05:00:00.123Z');
    const r = newIdRange(ms);
    const ids = Array.from({ length: 1000 }, (_, i) => idAt(r, i));
    for (const id of ids) {
      expect(id).toMatch(PREDICTION_ID);
      expect(idTime(id)).toBe(ms);
    }
    expect(new Set(ids).size).toBe(1000);
    // Wrapping past 2^48 is the one way out of order: a random base that close is a 1-in-10^11 draw.
    if (r.base < 2 ** 48 - 1000) expect([...ids].sort()).toEqual(ids);
  });

  it('sort by time across ranges, and two ranges of one millisecond do not collide', () => {
    const a = newIdRange(1_000);
    const b = newIdRange(1_001);
    expect(idAt(a, 999) < idAt(b, 0)).toBe(true);
    // More ranges than one pooled draw of random bytes holds: none repeats across refills.
    const same = Array.from({ length: 1_000 }, () => newIdRange(5_000));
    expect(new Set(same.map((r) => idAt(r, 0))).size).toBe(1_000);
  });

  it('of an async batch derive from its id and time: a retried chunk gets the same ids, another batch others', () => {
    const id = '0b6f1d2e-3c4a-4f5b-8a9c-1d2e3f4a5b6c';
    expect(idAt(batchIdRange(id, 42), 7)).toBe(idAt(batchIdRange(id, 42), 7));
    expect(idAt(batchIdRange(id, 42), 7)).not.toBe(idAt(batchIdRange('1b6f1d2e-3c4a-4f5b-8a9c-1d2e3f4a5b6c', 42), 7));
    expect(idTime(idAt(batchIdRange(id, 42), 0))).toBe(42);
  });

  it('refuses what is not a UUIDv7', () => {
    expect(idTime('0b6f1d2e-3c4a-4f5b-8a9c-1d2e3f4a5b6c')).toBeUndefined(); // v4
    expect(idTime('019aa5b2-0000-7000-c000-000000000000')).toBeUndefined(); // wrong variant
    expect(idTime('nope')).toBeUndefined();
  });
});
