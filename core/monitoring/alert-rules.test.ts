import { describe, expect, it } from 'vitest';
import { firedRules } from './alert-rules.js';
import type { WindowReport } from './window-report.js';

const metric = (value: number) => ({ value, se: 0.01 });

function report(over: { share?: number; predictionDrifted?: boolean; estF1?: number; realised?: { f1: number; labelled: number }; missing?: number; unknown?: number } = {}): WindowReport {
  return {
    rows: 1000,
    features: { driftedColumns: Math.round((over.share ?? 0) * 30), share: over.share ?? 0, drifted: (over.share ?? 0) >= 0.5, columns: Array.from({ length: 30 }, (_, i) => ({ column: `f${i}`, test: 'jensenshannon', score: 0, threshold: 0.1, drifted: false })) },
    prediction: { test: 'wasserstein', score: over.predictionDrifted ? 0.3 : 0.01, threshold: 0.1, drifted: !!over.predictionDrifted, threatShare: 0.4, referenceThreatShare: 0.44 },
    missingRate: over.missing ?? 0,
    unknownRate: over.unknown ?? 0,
    estimated: { rows: 1000, flaggedShare: 0.4, expectedThreatShare: 0.41, precision: metric(0.95), recall: metric(0.95), f1: metric(over.estF1 ?? 0.96), accuracy: metric(0.96), rocAuc: 0.99 },
    realised: over.realised && { labelled: over.realised.labelled, coverage: over.realised.labelled / 1000, precision: 0.9, recall: 0.9, f1: over.realised.f1, rocAuc: 0.95 },
  };
}

describe('firedRules', () => {
  it('fires nothing for a window like the training data', () => {
    expect(firedRules(report({ realised: { f1: 0.95, labelled: 200 } }), 0.97)).toEqual([]);
  });

  it('names each broken rule with its value and limit', () => {
    const fired = firedRules(report({ share: 0.6, predictionDrifted: true, estF1: 0.85, missing: 0.3, unknown: 0.1 }), 0.97);
    expect(fired.map((f) => f.rule)).toEqual(['featureDrift', 'predictionDrift', 'estimatedF1', 'missingRate', 'unknownRate']);
    const est = fired.find((f) => f.rule === 'estimatedF1')!;
    expect(est.value).toBe(0.85);
    expect(est.limit).toBeCloseTo(0.92, 12);
    expect(est.message).toMatch(/estimated F1 0.850 \(test 0.970\)/);
  });

  it('lets realised F1 alert only with enough feedback rows', () => {
    expect(firedRules(report({ realised: { f1: 0.7, labelled: 20 } }), 0.97)).toEqual([]);
    expect(firedRules(report({ realised: { f1: 0.7, labelled: 80 } }), 0.97).map((f) => f.rule)).toEqual(['realisedF1']);
  });

  it('takes limits from the model config', () => {
    expect(firedRules(report({ share: 0.2 }), 0.97, { featureDriftShare: 0.1 }).map((f) => f.rule)).toEqual(['featureDrift']);
    expect(firedRules(report({ predictionDrifted: true }), 0.97, { predictionDrift: false })).toEqual([]);
  });
});
