import { describe, expect, it } from 'vitest';
import type { Frame } from '../../data/frame.js';
import { Rng } from '../../data/rng.js';
import { driftReport, prepareReference, preparedDriftReport } from './drift-report.js';

function frame(n: number, shift: number, seed: number, catBias = 0.5): Frame {
  const rng = new Rng(seed);
  return {
    nRows: n,
    columns: [
      { kind: 'numeric', name: 'bytes', values: Float64Array.from({ length: n }, () => 100 + 20 * rng.normal() + shift) },
      { kind: 'numeric', name: 'stable', values: Float64Array.from({ length: n }, () => rng.normal()) },
      { kind: 'categorical', name: 'proto', categories: ['tcp', 'udp'], codes: Int32Array.from({ length: n }, () => (rng.next() < catBias ? 0 : 1)) },
    ],
  };
}

describe('driftReport', () => {
  it('detects a shifted column and passes unshifted ones (small reference: KS, chi-square)', () => {
    const r = driftReport(frame(500, 0, 1), frame(400, 15, 2, 0.8));
    const by = Object.fromEntries(r.columns.map((c) => [c.column, c]));
    expect(by.bytes).toMatchObject({ test: 'ks', drifted: true });
    expect(by.stable).toMatchObject({ test: 'ks', drifted: false });
    expect(by.proto).toMatchObject({ test: 'chisquare', type: 'categorical', drifted: true });
    expect(r.driftedColumns).toBe(2);
    expect(r.drifted).toBe(true);
    expect(by.bytes.histogram.reference.reduce((a, b) => a + b, 0)).toBe(500);
    expect(by.bytes.histogram.current.reduce((a, b) => a + b, 0)).toBe(400);
  });

  it('uses normed Wasserstein and Jensen-Shannon for large references', () => {
    const r = driftReport(frame(5000, 0, 3), frame(3000, 15, 4));
    const by = Object.fromEntries(r.columns.map((c) => [c.column, c]));
    expect(by.bytes).toMatchObject({ test: 'wasserstein', drifted: true, threshold: 0.1 });
    expect(by.bytes.score).toBeCloseTo(0.75, 1);
    expect(by.stable).toMatchObject({ test: 'wasserstein', drifted: false });
    expect(by.proto).toMatchObject({ test: 'jensenshannon', drifted: false });
    expect(r.drifted).toBe(false);
  });

  it('finds no drift between two samples of one distribution', () => {
    const r = driftReport(frame(800, 0, 5), frame(800, 0, 6));
    expect(r.columns.every((c) => !c.drifted)).toBe(true);
    expect(r.share).toBe(0);
  });

  it('compares a seeded sample of maxRows per side on large data, with the same verdicts', () => {
    const ref = frame(300_000, 0, 7);
    const cur = frame(150_000, 15, 8);
    const full = driftReport(ref, cur, { maxRows: 1_000_000 });
    const r = driftReport(ref, cur, { maxRows: 20_000 });
    expect(r).toMatchObject({ referenceRows: 300_000, currentRows: 150_000, comparedRows: { reference: 20_000, current: 20_000 } });
    expect(full.comparedRows).toEqual({ reference: 300_000, current: 150_000 });
    expect(r.columns.map((c) => c.drifted)).toEqual(full.columns.map((c) => c.drifted));
    r.columns.forEach((c, i) => expect(Math.abs(c.score - full.columns[i].score)).toBeLessThan(0.03));
    expect(driftReport(ref, cur, { maxRows: 20_000 })).toEqual(r);
    expect(by(r).bytes.histogram.reference.reduce((a, b) => a + b, 0)).toBe(20_000);
  });

  it('gives the same report against a prepared (sorted once) reference, for any test', () => {
    const ref = frame(3000, 0, 9);
    const cur = frame(2000, 5, 10, 0.6);
    const prepared = prepareReference(ref);
    for (const test of ['auto', 'ks', 'wasserstein', 'chisquare', 'jensenshannon', 'psi'] as const) {
      expect(preparedDriftReport(prepared, cur, { test })).toEqual(driftReport(ref, cur, { test }));
    }
  });

  it('counts a few-valued reference column against a current one that holds many values', () => {
    const n = 50_000;
    const ref: Frame = { nRows: n, columns: [{ kind: 'numeric', name: 'flag', values: Float64Array.from({ length: n }, (_, i) => (i % 3) - 1) }] };
    const cur: Frame = { nRows: n, columns: [{ kind: 'numeric', name: 'flag', values: Float64Array.from({ length: n }, (_, i) => i / n) }] };
    const col = preparedDriftReport(prepareReference(ref), cur).columns[0];
    expect(col).toMatchObject({ type: 'categorical', test: 'jensenshannon', drifted: true });
    expect(col.histogram.labels.slice(0, 3)).toEqual(['-1', '0', String(1 / n)]);
    expect(col.histogram.labels).toHaveLength(n + 2);
    expect(col.histogram.current.reduce((a, b) => a + b, 0)).toBe(n);
    expect(col.histogram.reference.reduce((a, b) => a + b, 0)).toBe(n);
  });
});

const by = (r: ReturnType<typeof driftReport>) => Object.fromEntries(r.columns.map((c) => [c.column, c]));
