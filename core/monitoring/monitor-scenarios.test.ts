import { beforeAll, describe, expect, it } from 'vitest';
import { phishingSplit } from '../../bench/lib/phishing-split.js';
import { fitCalibrated, threatScores, type CalibratedFit } from '../../test/helpers/calibrated-fit.js';
import { judge, monitorSequence, type MonitoredWindow } from '../../test/helpers/monitor-replay.js';
import { acceptanceScenarios, feedbackLabels, mixedTraining, replayWindows, WINDOW_ROWS, type Scenario } from '../../test/helpers/traffic-scenarios.js';
import type { Dataset } from '../data/frame.js';
import { windowReport } from './window-report.js';

/**
 * Issue 15's acceptance on the monitor's statistics (windowReport + firedRules), without the API:
 * a gradient-boosting model calibrated as a training run calibrates, served scores per window of
 * 2,000 rows. `npm run bench:monitor` runs the same scenarios through the real API and log.
 */
const THRESHOLD = 0.5;

interface Served {
  train: Dataset;
  fit: CalibratedFit;
  testF1: number;
}

let scenarios: Scenario[];
let phishingTest: Dataset;
const served: Record<Scenario['model'], Served> = {} as Record<Scenario['model'], Served>;

async function serve(train: Dataset, test: Dataset): Promise<Served> {
  const fit = await fitCalibrated(train, { params: { maxIter: 100 } });
  const labels = Int8Array.from(test.labels, (y) => (y === test.positiveClass ? 1 : 0));
  const report = windowReport({ reference: train.features, referenceScores: fit.referenceScores, current: test.features, scores: threatScores(fit.pipeline, test.features), threshold: THRESHOLD, labels });
  return { train, fit, testF1: report.realised!.f1 };
}

/** The scenario's windows (calm history, then shifted) through the monitor; returns the shifted ones. */
function monitor(s: Scenario): MonitoredWindow[] {
  const { train, fit, testF1 } = served[s.model];
  const windows = [...s.calm, ...s.shifted].map((w, i) => ({
    scenario: s.name,
    report: windowReport({ reference: train.features, referenceScores: fit.referenceScores, current: w.features, scores: threatScores(fit.pipeline, w.features), threshold: THRESHOLD, labels: feedbackLabels(w, s.feedback, 31 + i) }),
  }));
  return monitorSequence(windows, testF1).slice(s.calm.length);
}

beforeAll(async () => {
  const { train, test } = await phishingSplit();
  served.phishing = await serve(train, test);
  served.mixed = await serve(mixedTraining(), mixedTraining(8));
  phishingTest = test;
  scenarios = acceptanceScenarios(test);
}, 120_000);

describe('monitor scenarios (issue 15 acceptance)', () => {
  const byName = (name: string) => scenarios.find((s) => s.name === name)!;

  it('windows hold 2,000 rows', () => {
    for (const s of scenarios) for (const w of [...s.calm, ...s.shifted]) expect(w.labels.length).toBe(WINDOW_ROWS);
  });

  it('raises at most 1 alarm in 20 unshifted windows, and estimated F1 is within 0.02 of realised in each', () => {
    const windows = monitor(byName('phishing unshifted'));
    expect(windows).toHaveLength(20);
    expect(windows.filter((w) => w.rules.length).length).toBeLessThanOrEqual(1);
    for (const w of windows) expect(Math.abs(w.estimatedF1 - w.realisedF1)).toBeLessThanOrEqual(0.02);
    expect(judge('unshifted', windows).every((v) => v.pass)).toBe(true);
  });

  it('alarms within 2 windows of a covariate shift on the phishing rows, estimated F1 within 0.03 of realised', () => {
    const windows = monitor(byName('phishing covariate'));
    const first = windows.findIndex((w) => w.rules.some((r) => r.endsWith('Drift')));
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(2);
    for (const w of windows) expect(Math.abs(w.estimatedF1 - w.realisedF1)).toBeLessThanOrEqual(0.03);
    // The shift moved what the estimate tracks (more clear phishing pages), so "tracks" is not trivially flat.
    expect(windows[0].report.prediction.threatShare).toBeGreaterThan(windows[0].report.prediction.referenceThreatShare + 0.1);
  });

  it('alarms within 2 windows of a shifted numeric and categorical column in the mixed dataset, estimated F1 within 0.03', () => {
    const windows = monitor(byName('mixed covariate'));
    expect(judge('covariate', windows).every((v) => v.pass)).toBe(true);
    const drifted = windows[0].report.features.columns.filter((c) => c.drifted).map((c) => c.column);
    expect(drifted).toEqual(['bytes', 'protocol']);
  });

  it('raises realisedF1 when labels flip for one segment and feedback comes back, which the estimate cannot see', () => {
    const windows = monitor(byName('phishing concept'));
    expect(windows[0].rules).toContain('realisedF1');
    expect(windows[0].report.realised!.labelled).toBeGreaterThan(300);
    expect(windows[0].realisedF1).toBeLessThan(served.phishing.testF1 - 0.1);
    // Concept shift leaves the scores (and so the label-free estimate) where they were.
    expect(windows[0].rules).not.toContain('estimatedF1');
    expect(Math.abs(windows[0].estimatedF1 - served.phishing.testF1)).toBeLessThan(0.02);
  });

  it('needs the consecutive-window rule at small windows: single windows break by chance', () => {
    // 100 unshifted windows of 500 rows: one-window drift verdicts fire in a few of them.
    const { train, fit, testF1 } = served.phishing;
    const reports = replayWindows(phishingTest, { windows: 100, size: 500, seed: 3 }).map((w) => ({
      scenario: 'small windows',
      report: windowReport({ reference: train.features, referenceScores: fit.referenceScores, current: w.features, scores: threatScores(fit.pipeline, w.features), threshold: THRESHOLD }),
    }));
    const alarms = (consecutive: number) => monitorSequence(reports, testF1, { consecutive }).filter((w) => w.rules.length).length;
    expect(alarms(1)).toBeGreaterThanOrEqual(2);
    expect(alarms(2)).toBeLessThanOrEqual(1);
  });
});
