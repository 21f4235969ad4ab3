import type { Alert } from '../ports/alert-sink.js';
import type { WindowReport } from './window-report.js';

/** When a window raises an alert. Every limit can be turned off with `Infinity` (or 0 for `minLabelled`-gated ones). */
export interface AlertLimits {
  /** Share of drifted features at or above which the window alerts. Default 0.5 (Evidently's dataset drift). */
  featureDriftShare?: number;
  /** Alert when the threat-score distribution drifted. Default true. */
  predictionDrift?: boolean;
  /** Drop of estimated F1 below the version's test F1 that alerts. Default 0.05. */
  estimatedF1Drop?: number;
  /** Drop of realised F1 (feedback rows) below the version's test F1 that alerts. Default 0.05. */
  realisedF1Drop?: number;
  /** Feedback rows a window needs before its realised F1 can alert. Default 50. */
  minLabelled?: number;
  /** Share of missing cells that alerts. Default 0.2. */
  missingRate?: number;
  /** Share of cells with categories never seen in training that alerts. Default 0.05. */
  unknownRate?: number;
}

export const DEFAULT_ALERT_LIMITS: Required<AlertLimits> = {
  featureDriftShare: 0.5,
  predictionDrift: true,
  estimatedF1Drop: 0.05,
  realisedF1Drop: 0.05,
  minLabelled: 50,
  missingRate: 0.2,
  unknownRate: 0.05,
};

/** The rules a window breaks, given the version's test F1 (the baseline both F1 drops are measured from). */
export function firedRules(report: WindowReport, testF1: number, limits: AlertLimits = {}): Alert['rules'] {
  const l = { ...DEFAULT_ALERT_LIMITS, ...limits };
  const fired: Alert['rules'] = [];
  const check = (rule: string, value: number, limit: number, breaks: boolean, message: string) => {
    if (breaks) fired.push({ rule, value, limit, message });
  };
  const share = report.features.share;
  check('featureDrift', share, l.featureDriftShare, share >= l.featureDriftShare, `${report.features.driftedColumns} of ${report.features.columns.length} features drifted`);
  check('predictionDrift', report.prediction.score, report.prediction.threshold, l.predictionDrift && report.prediction.drifted, `threat share ${pct(report.prediction.threatShare)} (training ${pct(report.prediction.referenceThreatShare)})`);
  const est = report.estimated.f1.value;
  check('estimatedF1', est, testF1 - l.estimatedF1Drop, Number.isFinite(est) && est < testF1 - l.estimatedF1Drop, `estimated F1 ${est.toFixed(3)} (test ${testF1.toFixed(3)})`);
  const real = report.realised;
  if (real && real.labelled >= l.minLabelled) {
    check('realisedF1', real.f1, testF1 - l.realisedF1Drop, real.f1 < testF1 - l.realisedF1Drop, `realised F1 ${real.f1.toFixed(3)} on ${real.labelled} labelled rows (test ${testF1.toFixed(3)})`);
  }
  check('missingRate', report.missingRate, l.missingRate, report.missingRate >= l.missingRate, `${pct(report.missingRate)} of cells missing`);
  check('unknownRate', report.unknownRate, l.unknownRate, report.unknownRate >= l.unknownRate, `${pct(report.unknownRate)} of cells hold unseen categories`);
  return fired;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
