import { describe, expect, it } from 'vitest';
import { idAt, newIdRange } from '../../core/monitoring/prediction-id.js';
import type { ServedModel } from './model-holder.js';
import { Verdicts } from './verdicts.js';

// Only what Verdicts reads of a served model; the labels need JSON escaping.
const served = { name: 'net"flows', version: 7, pipeline: { classes: ['benign', 'dos "x"', 'scan'] }, schema: { label: { threat: ['dos "x"', 'scan'] } }, threshold: 0.35 } as unknown as ServedModel;

describe('Verdicts', () => {
  const v = new Verdicts(served);
  const s = v.scored(Float64Array.from([0.7, 0.2, 0.1, 0.05, 0.9, 0.05, 0.1, 0.3, 0.6]));

  it('writes one answer as the JSON the Prediction schema describes', () => {
    expect(JSON.parse(v.one(s))).toEqual({ label: 'benign', threat: false, score: 0.3, threshold: 0.35, probabilities: { benign: 0.7, 'dos "x"': 0.2, scan: 0.1 }, model: 'net"flows', modelVersion: 7 });
  });

  it('writes a batch answer in row order, with counts and log objects to match', () => {
    expect(JSON.parse(v.batch(s))).toEqual({
      predictions: [
        { label: 'benign', threat: false, score: 0.3, probabilities: { benign: 0.7, 'dos "x"': 0.2, scan: 0.1 } },
        { label: 'dos "x"', threat: true, score: 0.95, probabilities: { benign: 0.05, 'dos "x"': 0.9, scan: 0.05 } },
        { label: 'scan', threat: true, score: 0.9, probabilities: { benign: 0.1, 'dos "x"': 0.3, scan: 0.6 } },
      ],
      threshold: 0.35,
      model: 'net"flows',
      modelVersion: 7,
    });
    expect(v.counts(s)).toEqual([1, 1, 1]);
    expect(v.probabilities(s, 2)).toEqual({ benign: 0.1, 'dos "x"': 0.3, scan: 0.6 });
  });

  it('flags a threat by the threat score against the threshold, not by the arg-max class', () => {
    // Arg-max benign (0.6), but the threat classes together hold 0.4 >= 0.35.
    const split = v.scored(Float64Array.from([0.6, 0.25, 0.15]));
    expect(JSON.parse(v.one(split))).toMatchObject({ label: 'benign', threat: true, score: 0.4, threshold: 0.35 });
    const strict = new Verdicts({ ...served, threshold: 0.5 } as ServedModel);
    expect(JSON.parse(strict.one(strict.scored(Float64Array.from([0.6, 0.25, 0.15]))))).toMatchObject({ threat: false, threshold: 0.5 });
  });

  it('puts each row\'s prediction id first when given the request\'s id range', () => {
    const ids = newIdRange(Date.parse('2026-11-30T05:00:00.000Z'));
    expect(JSON.parse(v.one(s, ids))).toEqual({ predictionId: idAt(ids, 0), label: 'benign', threat: false, score: 0.3, threshold: 0.35, probabilities: { benign: 0.7, 'dos "x"': 0.2, scan: 0.1 }, model: 'net"flows', modelVersion: 7 });
    const rows = (JSON.parse(v.batch(s, ids)) as { predictions: { predictionId: string; label: string }[] }).predictions;
    expect(rows.map((r) => r.predictionId)).toEqual([0, 1, 2].map((i) => idAt(ids, i)));
    expect(rows.map((r) => r.label)).toEqual(['benign', 'dos "x"', 'scan']);
    expect([0, 1, 2].map((i) => v.threat(s, i))).toEqual([false, true, true]);
  });

  it('writes a probability that is not finite as null, as JSON.stringify would', () => {
    const odd = v.scored(Float64Array.from([NaN, 1, 0]));
    expect(JSON.parse(v.one(odd)).probabilities).toEqual({ benign: null, 'dos "x"': 1, scan: 0 });
  });
});
