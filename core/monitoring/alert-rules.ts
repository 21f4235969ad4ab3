import type { Alert } from '../ports/alert-sink.js';
import type { WindowReport } from './window-report.js';

/** When a window raises an alert. Every limit can be turned off with `Infinity` (or `false` for `predictionDrift`). */
export interface AlertLimits {
  /** Share of drifted features at or above which the window alerts. Default 0.5 (Evidently's dataset drift). */
  featureDriftShare?: number;
  /**
   * One feature alone alerts when its drift is this many times past its test's threshold (a
   * distance: Wasserstein, Jensen-Shannon, PSI), or, for p-value tests (KS, chi-square), when its
   * p-value is below the threshold divided by the number of features (Bonferroni). Default 2;
   * `Infinity` turns the rule off.
   */
  columnDriftFactor?: number;
  /** Alert when the threat-score distribution drifted. Default true. */
  predictionDrift?: boolean;
  /**
   * Consecutive windows a drift rule (featureDrift, columnDrift, predictionDrift) must break before
   * it alerts; the caller passes the preceding windows' reports. Default 2.
   */
  consecutive?: number;
  /** Drop of estimated F1 below the version's test F1 that alerts. Default 0.05. */
  estimatedF1Drop?: number;
  /** Drop of realised F1 (feedback rows) below the version's test F1 that alerts. Default 0.05. */
  realisedF1Drop?: number;
  /** The realised F1 drop must also exceed this many of its standard errors. Default 2. */
  realisedF1Sigmas?: number;
  /** Feedback rows a window needs before its realised F1 can alert. Default 50. */
  minLabelled?: number;
  /** Share of missing cells that alerts. Default 0.2. */
  missingRate?: number;
  /** Share of cells with categories never seen in training that alerts. Default 0.05. */
  unknownRate?: number;
}

export const DEFAULT_ALERT_LIMITS: Required<AlertLimits> = {
  featureDriftShare: 0.5,
  columnDriftFactor: 2,
  predictionDrift: true,
  consecutive: 2,
  estimatedF1Drop: 0.05,
  realisedF1Drop: 0.05,
  realisedF1Sigmas: 2,
  minLabelled: 50,
  missingRate: 0.2,
  unknownRate: 0.05,
};

type Fired = Alert['rules'][number];

/**
 * The rules a window breaks, given the version's test F1 (the baseline both F1 drops are measured
 * from) and the reports of the windows before it, oldest first (the drift rules need
 * `consecutive` windows in a row: pass at least `consecutive - 1` of them, or they cannot fire).
 *
 * Why so (measured on the phishing test rows, `core/monitoring/monitor-scenarios.test.ts`): a
 * drift statistic breaks its threshold by chance in a few windows out of a hundred at small
 * windows (normed Wasserstein of the scores >= 0.1 in 3 % of 500-row windows; a KS test at
 * p < 0.05 in 5 % by construction); a real shift keeps breaking it window after window. Requiring
 * two windows in a row squares the chance rate and delays a real alarm by one window.
 */
export function firedRules(report: WindowReport, testF1: number, limits: AlertLimits = {}, previous: readonly WindowReport[] = []): Alert['rules'] {
  const l = { ...DEFAULT_ALERT_LIMITS, ...limits };
  const drift = driftBreaches(report, l);
  const held = (rule: string) => {
    if (l.consecutive <= 1) return true;
    const before = previous.slice(-(l.consecutive - 1));
    return before.length === l.consecutive - 1 && before.every((r) => driftBreaches(r, l).some((f) => f.rule === rule));
  };
  const fired: Fired[] = drift.filter((f) => held(f.rule));
  const check = (rule: string, value: number, limit: number, breaks: boolean, message: string) => {
    if (breaks) fired.push({ rule, value, limit, message });
  };
  const est = report.estimated.f1.value;
  check('estimatedF1', est, testF1 - l.estimatedF1Drop, Number.isFinite(est) && est < testF1 - l.estimatedF1Drop, `estimated F1 ${est.toFixed(3)} (test ${testF1.toFixed(3)})`);
  const real = report.realised;
  if (real && real.labelled >= l.minLabelled) {
    const se = realisedF1Se(report);
    const limit = testF1 - Math.max(l.realisedF1Drop, l.realisedF1Sigmas * (Number.isFinite(se) ? se : 0));
    check('realisedF1', real.f1, limit, real.f1 < limit, `realised F1 ${real.f1.toFixed(3)} on ${real.labelled} labelled rows (test ${testF1.toFixed(3)})`);
  }
  check('missingRate', report.missingRate, l.missingRate, report.missingRate >= l.missingRate, `${pct(report.missingRate)} of cells missing`);
  check('unknownRate', report.unknownRate, l.unknownRate, report.unknownRate >= l.unknownRate, `${pct(report.unknownRate)} of cells hold unseen categories`);
  return fired;
}

/** The drift rules one window breaks on its own (before the consecutive-window condition). */
export function driftBreaches(report: WindowReport, limits: AlertLimits = {}): Fired[] {
  const l = { ...DEFAULT_ALERT_LIMITS, ...limits };
  const out: Fired[] = [];
  const { share, driftedColumns, columns } = report.features;
  if (share >= l.featureDriftShare) out.push({ rule: 'featureDrift', value: share, limit: l.featureDriftShare, message: `${driftedColumns} of ${columns.length} features drifted` });
  const strong = strongestColumn(columns, l.columnDriftFactor);
  if (strong) out.push(strong);
  const p = report.prediction;
  if (l.predictionDrift && p.drifted) out.push({ rule: 'predictionDrift', value: p.score, limit: p.threshold, message: `threat share ${pct(p.threatShare)} (training ${pct(p.referenceThreatShare)})` });
  return out;
}

/** P-value tests: their score is a p-value (drifted below the threshold); the others a distance (drifted at or above). */
const P_VALUE_TESTS = new Set(['ks', 'chisquare']);

/** The feature drifted furthest past its strong-drift limit, as a fired rule; undefined when none is. */
function strongestColumn(columns: WindowReport['features']['columns'], factor: number): Fired | undefined {
  if (!Number.isFinite(factor)) return undefined;
  let best: { column: string; test: string; score: number; limit: number; excess: number } | undefined;
  for (const c of columns) {
    const pValue = P_VALUE_TESTS.has(c.test);
    const limit = pValue ? c.threshold / columns.length : factor * c.threshold;
    const breaks = pValue ? c.score < limit : c.score >= limit;
    // Comparable across tests: how far past its limit, as a ratio.
    const excess = pValue ? limit / Math.max(c.score, Number.MIN_VALUE) : c.score / limit;
    if (breaks && (!best || excess > best.excess)) best = { column: c.column, test: c.test, score: c.score, limit, excess };
  }
  if (!best) return undefined;
  return { rule: 'columnDrift', value: best.score, limit: best.limit, message: `${best.column} drifted (${best.test} ${best.score.toPrecision(3)}, limit ${best.limit.toPrecision(3)})` };
}

/**
 * Standard error of the realised F1 on the labelled rows: the label-free estimate's (which models
 * each row's label as Bernoulli of its calibrated score) scaled to the labelled count.
 */
function realisedF1Se(report: WindowReport): number {
  const real = report.realised;
  if (!real || !(real.labelled > 0)) return NaN;
  return report.estimated.f1.se * Math.sqrt(report.rows / real.labelled);
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
