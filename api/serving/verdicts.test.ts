import { describe, expect, it } from 'vitest';
import { idAt, newIdRange } from '../../core/monitoring/prediction-id.js';
import type { ServedModel } from './model-holder.js';
import { Verdicts } from './verdicts.js';

// Only what Verdicts reads of a served model; the labels need JSON escaping.
const served = { name: 'net"flows', version: 7, pipeline: { classes: ['benign', 'dos "x"', 'scan'] }, schema: { label: { threat: ['dos "x"', 'scan'] } } } as unknown as ServedModel;

describe('Verdicts', () => {
  const v = new Verdicts(served);
  const s = v.scored(Float64Array.from([0.7, 0.2, 0.1, 0.05, 0.9, 0.05, 0.1, 0.3, 0.6]));

  it('writes one answer as the JSON the Prediction schema describes', () => {
    expect(JSON.parse(v.one(s))).toEqual({ label: 'benign', threat: false, probabilities: { benign: 0.7, 'dos "x"': 0.2, scan: 0.1 }, model: 'net"flows', modelVersion: 7 });
  });

  it('writes a batch answer in row order, with counts and log objects to match', () => {
    expect(JSON.parse(v.batch(s))).toEqual({
      predictions: [
        { label: 'benign', threat: false, probabilities: { benign: 0.7, 'dos "x"': 0.2, scan: 0.1 } },
        { label: 'dos "x"', threat: true, probabilities: { benign: 0.05, 'dos "x"': 0.9, scan: 0.05 } },
        { label: 'scan', threat: true, probabilities: { benign: 0.1, 'dos "x"': 0.3, scan: 0.6 } },
      ],
      model: 'net"flows',
      modelVersion: 7,
    });
    expect(v.counts(s)).toEqual([1, 1, 1]);
    expect(v.probabilities(s, 2)).toEqual({ benign: 0.1, 'dos "x"': 0.3, scan: 0.6 });
  });

  it('puts each row\'s prediction id first when given the request\'s id range', () => {
    const ids = newIdRange(Date.parse('2026-11-30T05:00:00.000Z'));
    expect(JSON.parse(v.one(s, ids))).toEqual({ predictionId: idAt(ids, 0), label: 'benign', threat: false, probabilities: { benign: 0.7, 'dos "x"': 0.2, scan: 0.1 }, model: 'net"flows', modelVersion: 7 });
    const rows = (JSON.parse(v.batch(s, ids)) as { predictions: { predictionId: string; label: string }[] }).predictions;
    expect(rows.map((r) => r.predictionId)).toEqual([0, 1, 2].map((i) => idAt(ids, i)));
    expect(rows.map((r) => r.label)).toEqual(['benign', 'dos "x"', 'scan']);
    expect(v.threat).toEqual([false, true, true]);
  });

  it('writes a probability that is not finite as null, as JSON.stringify would', () => {
    const odd = v.scored(Float64Array.from([NaN, 1, 0]));
    expect(JSON.parse(v.one(odd)).probabilities).toEqual({ benign: null, 'dos "x"': 1, scan: 0 });
  });
});
