import { describe, expect, it } from 'vitest';
import { firedRules } from './alert-rules.js';
import type { WindowReport } from './window-report.js';

const metric = (value: number) => ({ value, se: 0.01 });

type Over = { share?: number; predictionDrifted?: boolean; estF1?: number; realised?: { f1: number; labelled: number }; missing?: number; unknown?: number; column?: { test: string; score: number; threshold: number } };

function report(over: Over = {}): WindowReport {
  const columns = Array.from({ length: 30 }, (_, i) => ({ column: `f${i}`, test: 'jensenshannon', score: 0.01, threshold: 0.1, drifted: false }));
  if (over.column) columns[3] = { column: 'f3', ...over.column, drifted: true };
  return {
    rows: 1000,
    features: { driftedColumns: Math.round((over.share ?? 0) * 30), share: over.share ?? 0, drifted: (over.share ?? 0) >= 0.5, columns },
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
    const bad: Over = { share: 0.6, predictionDrifted: true, estF1: 0.85, missing: 0.3, unknown: 0.1 };
    const fired = firedRules(report(bad), 0.97, {}, [report(bad)]);
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

  it('lets realised F1 alert only when its drop is beyond its own noise', () => {
    // se 0.01 at 1000 rows: on 50 labelled rows sqrt(20) x 0.01 = 0.045, so 2 se = 0.089 > the 0.05 drop.
    const few = report({ realised: { f1: 0.9, labelled: 50 } });
    expect(firedRules(few, 0.97)).toEqual([]);
    const fired = firedRules(report({ realised: { f1: 0.86, labelled: 50 } }), 0.97);
    expect(fired.map((f) => f.rule)).toEqual(['realisedF1']);
    expect(fired[0].limit).toBeCloseTo(0.97 - 2 * 0.01 * Math.sqrt(20), 12);
    // With plenty of labels the configured drop is the limit.
    expect(firedRules(report({ realised: { f1: 0.9, labelled: 1000 } }), 0.97)[0].limit).toBeCloseTo(0.92, 12);
  });

  it('raises a drift rule only when it held in the windows before too', () => {
    const drifted = report({ share: 0.6, predictionDrifted: true });
    const calm = report();
    expect(firedRules(drifted, 0.97)).toEqual([]);
    expect(firedRules(drifted, 0.97, {}, [calm])).toEqual([]);
    expect(firedRules(drifted, 0.97, {}, [calm, drifted]).map((f) => f.rule)).toEqual(['featureDrift', 'predictionDrift']);
    // Only the rule that held in both windows.
    expect(firedRules(drifted, 0.97, {}, [report({ predictionDrifted: true })]).map((f) => f.rule)).toEqual(['predictionDrift']);
    expect(firedRules(drifted, 0.97, { consecutive: 3 }, [drifted]).map((f) => f.rule)).toEqual([]);
    expect(firedRules(drifted, 0.97, { consecutive: 3 }, [drifted, drifted]).map((f) => f.rule)).toEqual(['featureDrift', 'predictionDrift']);
    expect(firedRules(drifted, 0.97, { consecutive: 1 }).map((f) => f.rule)).toEqual(['featureDrift', 'predictionDrift']);
  });

  it('raises columnDrift for one feature far past its threshold', () => {
    const one = (column: Over['column']) => firedRules(report({ column }), 0.97, { consecutive: 1 });
    // A distance: twice its threshold.
    expect(one({ test: 'jensenshannon', score: 0.19, threshold: 0.1 })).toEqual([]);
    const fired = one({ test: 'jensenshannon', score: 0.25, threshold: 0.1 });
    expect(fired).toMatchObject([{ rule: 'columnDrift', value: 0.25, limit: 0.2 }]);
    expect(fired[0].message).toMatch(/^f3 drifted/);
    // A p-value: below 0.05 / 30 features (Bonferroni), not just below 0.05.
    expect(one({ test: 'ks', score: 0.01, threshold: 0.05 })).toEqual([]);
    expect(one({ test: 'ks', score: 0.001, threshold: 0.05 }).map((f) => f.rule)).toEqual(['columnDrift']);
    expect(firedRules(report({ column: { test: 'ks', score: 0.001, threshold: 0.05 } }), 0.97, { consecutive: 1, columnDriftFactor: Infinity })).toEqual([]);
    expect(firedRules(report({ column: { test: 'jensenshannon', score: 0.9, threshold: 0.1 } }), 0.97, { consecutive: 1, columnDriftFactor: Infinity })).toEqual([]);
  });

  it('takes limits from the model config', () => {
    const single = { consecutive: 1 };
    expect(firedRules(report({ share: 0.2 }), 0.97, { ...single, featureDriftShare: 0.1 }).map((f) => f.rule)).toEqual(['featureDrift']);
    expect(firedRules(report({ predictionDrifted: true }), 0.97, { ...single, predictionDrift: false })).toEqual([]);
  });
});
