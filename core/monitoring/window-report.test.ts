import { describe, expect, it } from 'vitest';
import type { Frame } from '../data/frame.js';
import { Rng } from '../data/rng.js';
import { prepareReference } from '../validation/drift/drift-report.js';
import { realisedPerformance, windowReport, windowReportYielding } from './window-report.js';

const CATEGORIES = ['tcp', 'udp', 'icmp', 'gre'];

/** Rows like telemetry: two continuous columns, a ternary one, a protocol; `shift` moves `bytes`. */
function traffic(n: number, rng: Rng, shift = 0): Frame {
  const bytes = Float64Array.from({ length: n }, () => rng.normal() * 2 + 10 + shift);
  const rate = Float64Array.from({ length: n }, () => rng.next() * 5);
  const flag = Float64Array.from({ length: n }, () => rng.int(3) - 1);
  const proto = Int32Array.from({ length: n }, () => (rng.next() < 0.1 ? -1 : rng.int(CATEGORIES.length)));
  return {
    nRows: n,
    columns: [
      { kind: 'numeric', name: 'bytes', values: bytes },
      { kind: 'numeric', name: 'rate', values: rate },
      { kind: 'numeric', name: 'flag', values: flag },
      { kind: 'categorical', name: 'proto', codes: proto, categories: CATEGORIES },
    ],
  };
}

const scoresOf = (n: number, rng: Rng, threatShare = 0.3) => Float64Array.from({ length: n }, () => (rng.next() < threatShare ? 0.7 + 0.3 * rng.next() : 0.3 * rng.next()));

describe('windowReport', () => {
  const rng = new Rng(5);
  const reference = traffic(20_000, rng);
  const referenceScores = scoresOf(4_000, rng);

  it('gives the same report in steps (yielding) and against a prepared reference', async () => {
    const current = traffic(3_000, rng, 1);
    const scores = scoresOf(3_000, rng);
    const whole = windowReport({ reference, referenceScores, current, scores, threshold: 0.5 });
    expect(await windowReportYielding({ reference: prepareReference(reference), referenceScores, current, scores, threshold: 0.5 }, {}, 3)).toEqual(whole);
    expect(whole.features.columns.map((c) => c.column)).toEqual(['bytes', 'rate', 'flag', 'proto']);
  });

  it('says why feature and prediction drift were skipped when the version has no reference', () => {
    const r = windowReport({ referenceMissing: 'run r1 kept no train split', current: traffic(500, rng), scores: scoresOf(500, rng), threshold: 0.5 });
    expect(r.features).toMatchObject({ skipped: 'run r1 kept no train split', columns: [], share: 0, drifted: false });
    expect(r.prediction).toMatchObject({ skipped: 'run r1 kept no train split', drifted: false });
    expect(r.prediction.threatShare).toBeGreaterThan(0.2);
  });

  it('raises no alarm on a window drawn like the reference', () => {
    const r = windowReport({ reference, referenceScores, current: traffic(2_000, rng), scores: scoresOf(2_000, rng), threshold: 0.5 });
    expect(r.features.drifted).toBe(false);
    expect(r.features.driftedColumns).toBe(0);
    expect(r.prediction.drifted).toBe(false);
    expect(r.missingRate).toBeGreaterThan(0.015);
    expect(r.missingRate).toBeLessThan(0.035);
    expect(r.realised).toBeUndefined();
  });

  it('flags the shifted column and a moved threat share', () => {
    const r = windowReport({ reference, referenceScores, current: traffic(2_000, rng, 3), scores: scoresOf(2_000, rng, 0.7), threshold: 0.5 });
    expect(r.features.columns.find((c) => c.column === 'bytes')!.drifted).toBe(true);
    expect(r.features.columns.find((c) => c.column === 'rate')!.drifted).toBe(false);
    expect(r.prediction.drifted).toBe(true);
    expect(r.prediction.threatShare).toBeGreaterThan(0.6);
    expect(r.prediction.referenceThreatShare).toBeLessThan(0.4);
  });

  it('reports unknown categories as a rate of cells', () => {
    const r = windowReport({ reference, referenceScores, current: traffic(1_000, rng), scores: scoresOf(1_000, rng), threshold: 0.5, unknownCells: 40 });
    expect(r.unknownRate).toBeCloseTo(40 / 4_000, 12);
  });

  it('refuses scores that do not match the rows', () => {
    expect(() => windowReport({ reference, referenceScores, current: traffic(10, rng), scores: new Float64Array(9), threshold: 0.5 })).toThrow(/9 scores for 10 rows/);
  });
});

describe('realisedPerformance', () => {
  it('scores only the rows with feedback and says how many', () => {
    const scores = Float64Array.from([0.9, 0.8, 0.2, 0.6, 0.1, 0.95]);
    const labels = Int8Array.from([1, 0, 1, -1, 0, -1]);
    const r = realisedPerformance(scores, labels, 0.5)!;
    expect(r.labelled).toBe(4);
    expect(r.coverage).toBeCloseTo(4 / 6, 12);
    // Labelled: TP 0.9, FP 0.8, FN 0.2, TN 0.1.
    expect(r.precision).toBe(0.5);
    expect(r.recall).toBe(0.5);
    expect(r.f1).toBe(0.5);
    // Pairs (threat, benign): (0.9,0.8) yes, (0.9,0.1) yes, (0.2,0.8) no, (0.2,0.1) yes.
    expect(r.rocAuc).toBeCloseTo(0.75, 12);
  });

  it('is undefined without feedback', () => {
    expect(realisedPerformance(new Float64Array(3), Int8Array.from([-1, -1, -1]), 0.5)).toBeUndefined();
  });
});
