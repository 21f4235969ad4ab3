import { describe, expect, it } from 'vitest';
import type { Frame } from '../data/frame.js';
import { Rng } from '../data/rng.js';
import { prepareReference } from '../validation/drift/drift-report.js';
import { decodeReference, encodeReference, type MonitorReference } from './monitor-reference.js';

function reference(withFeatures: boolean): MonitorReference {
  const rng = new Rng(2);
  const frame: Frame = {
    nRows: 1_001,
    columns: [
      { kind: 'numeric', name: 'bytes', values: Float64Array.from({ length: 1_001 }, (_, i) => (i % 7 ? rng.normal() : NaN)) },
      { kind: 'categorical', name: 'proto', categories: ['tcp', 'udp'], codes: Int32Array.from({ length: 1_001 }, (_, i) => (i % 5) - 1 > 1 ? 1 : (i % 5) - 1) },
      { kind: 'numeric', name: 'flag', values: Float64Array.from({ length: 1_001 }, () => rng.int(3) - 1) },
    ],
  };
  return {
    model: 'm',
    version: 3,
    runId: 'run-1',
    builtAt: '2026-11-30T08:00:00.000Z',
    testF1: withFeatures ? 0.93 : NaN,
    threshold: 0.42,
    trainRows: 5_000,
    ...(withFeatures ? { features: prepareReference(frame), scores: Float64Array.from({ length: 333 }, (_, i) => i / 333) } : { missing: 'run run-1 kept no train split' }),
  };
}

describe('monitor reference codec', () => {
  it('reads back what it wrote: sorted columns, counts, scores, figures', () => {
    const ref = reference(true);
    const back = decodeReference(encodeReference(ref));
    expect(back).toEqual(ref);
    const bytes = back.features!.columns[0];
    expect(bytes.kind === 'numeric' && bytes.sorted.length).toBe(1_001 - 143);
  });

  it('keeps a reference without features (NaN test F1 included)', () => {
    const back = decodeReference(encodeReference(reference(false)));
    expect(back.features).toBeUndefined();
    expect(back.scores).toBeUndefined();
    expect(back.testF1).toBeNaN();
    expect(back.missing).toMatch(/no train split/);
  });

  it('refuses bytes whose numbers do not match their header', () => {
    const bytes = encodeReference(reference(true));
    expect(() => decodeReference(bytes.subarray(0, bytes.length - 8))).toThrow(/numbers stored/);
  });
});
