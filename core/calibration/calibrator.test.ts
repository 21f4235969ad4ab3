import { describe, expect, it } from 'vitest';
import { parseDatasetSchema } from '../../schema/index.js';
import { attackDataset } from '../../test/helpers/synthetic.js';
import { readCsvText } from '../../test/helpers/datasets.js';
import { takeDataset } from '../data/frame.js';
import { Rng } from '../data/rng.js';
import { stratifiedSplit } from '../data/split.js';
import { brierScore } from '../metrics/calibration-metrics.js';
import { FoldCache } from '../tuning/fold-cache.js';
import { searchFamily } from '../tuning/grid-search.js';
import { chooseCalibration, ThreatCalibrator } from './calibrator.js';
import { calibrateFamily } from './family-calibration.js';
import { applyIsotonic, fitIsotonic } from './isotonic.js';
import { applyPlatt, fitPlatt } from './platt.js';
import { threatIndices, threatOutcomes, threatScores } from './threat-score.js';

/** Scores whose true threat probability is score^3: confidently too high. */
function overconfident(n: number, seed: number) {
  const rng = new Rng(seed);
  const score = Float64Array.from({ length: n }, () => rng.next());
  const isThreat = Uint8Array.from(score, (s) => +(rng.next() < s ** 3));
  const fold = Uint8Array.from({ length: n }, (_, i) => i % 3);
  return { score, isThreat, fold };
}

describe('calibration', () => {
  it('pools adjacent violators into a non-decreasing step function (hand-worked)', () => {
    // Outcomes by ascending score: 0, 1, 0, 1 -> blocks {0}, {1, 0} pooled to 0.5, {1}.
    const s = fitIsotonic([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4]);
    expect(s).toEqual({ x: [0.1, 0.2, 0.3, 0.4], y: [0, 0.5, 0.5, 1] });
    expect(applyIsotonic(s, 0.05)).toBe(0);
    expect(applyIsotonic(s, 0.25)).toBe(0.5);
    expect(applyIsotonic(s, 0.35)).toBeCloseTo(0.75, 12);
    expect(applyIsotonic(s, 0.9)).toBe(1);
  });

  it('fits Platt scaling that leaves a calibrated score nearly as it is', () => {
    const rng = new Rng(3);
    const score = Float64Array.from({ length: 20_000 }, () => rng.next());
    const isThreat = Uint8Array.from(score, (s) => +(rng.next() < s));
    const p = fitPlatt(isThreat, score);
    expect(p.a).toBeCloseTo(-1, 1);
    expect(p.b).toBeCloseTo(0, 1);
    expect(applyPlatt(p, 0.3)).toBeCloseTo(0.3, 1);
  });

  it('keeps a calibration only when it lowers the cross-fitted Brier score', () => {
    const o = overconfident(6000, 5);
    const c = chooseCalibration(o.isThreat, o.score, o.fold, [1]);
    expect(c.method).not.toBe('none');
    expect(c.brier[c.method]!).toBeLessThan(c.brier.none! - 0.02);
    expect(brierScore(o.isThreat, c.scores)).toBeCloseTo(c.brier[c.method]!, 12);
    // One fold cannot be cross-fitted: nothing is kept.
    expect(chooseCalibration(o.isThreat, o.score, new Uint8Array(6000), [1]).method).toBe('none');
  });

  it('rescales class probabilities to the calibrated threat score, rows summing to 1', () => {
    const o = overconfident(3000, 9);
    const c = ThreatCalibrator.fit('isotonic', o.isThreat, o.score, [1, 2]);
    const back = ThreatCalibrator.fromJSON(JSON.parse(JSON.stringify(c.toJSON())));
    const proba = Float64Array.from([0.2, 0.5, 0.3, 1, 0, 0, 0, 0.4, 0.6]);
    back.applyTo(proba, 3);
    for (let r = 0; r < 3; r++) expect(proba[3 * r] + proba[3 * r + 1] + proba[3 * r + 2]).toBeCloseTo(1, 12);
    expect(proba[1] + proba[2]).toBeCloseTo(c.score(0.8), 12);
    // The threat classes keep their ratio (0.5 : 0.3).
    expect(proba[1] / proba[2]).toBeCloseTo(5 / 3, 12);
    expect(proba[4]).toBeCloseTo(c.score(0) / 2, 12);
    expect(() => ThreatCalibrator.fromJSON({ kind: 'other' })).toThrow();
  });

  it('lowers the Brier score of an overconfident model (a deep tree) out of fold and on held-out rows', async () => {
    const { csv, schema } = attackDataset(3000, 4);
    const parsed = parseDatasetSchema(JSON.stringify(schema));
    const { dataset } = await readCsvText(csv, parsed);
    const { train, test } = stratifiedSplit(dataset.labels, 0.3, 7);
    const tr = takeDataset(dataset, train);
    const te = takeDataset(dataset, test);
    const threat = threatIndices(dataset.classes, parsed.label.threat);
    const family = { kind: 'decision_tree' as const, grid: { maxDepth: [0], minSamplesLeaf: [1] }, scale: false, weight: 1 };
    const r = await searchFamily(family, tr, new FoldCache(tr, 3, 42), { seed: 42, threatClasses: threat });
    expect(r.oof.score.length).toBe(tr.labels.length);
    const cal = calibrateFamily(r.oof, threat, 'auto');
    expect(cal.summary.method).not.toBe('none');
    expect(cal.summary.brier).toBeLessThan(cal.summary.rawBrier);
    const y = threatOutcomes(te.labels, threat);
    const K = dataset.classes.length;
    const raw = brierScore(y, threatScores(r.pipeline.predictProba(te.features), K, threat));
    const calibrated = brierScore(y, threatScores(r.pipeline.withCalibrator(cal.calibrator).predictProba(te.features), K, threat));
    expect(calibrated).toBeLessThan(raw);
  });
});
