import { firedRules, type AlertLimits } from '../../core/monitoring/alert-rules.js';
import type { WindowReport } from '../../core/monitoring/window-report.js';
import type { ScenarioKind } from './traffic-scenarios.js';

/** Drift rules: what "a drift alarm" means in issue 15's acceptance. */
export const DRIFT_RULES = ['featureDrift', 'columnDrift', 'predictionDrift'];

/** One monitored window: its report, the rules that alerted, estimated and realised F1. */
export interface MonitoredWindow {
  scenario: string;
  report: WindowReport;
  rules: string[];
  estimatedF1: number;
  realisedF1: number;
}

/**
 * The alerts of a run of window reports in time order, each judged with the reports before it
 * (as the monitor job does, so the drift rules' consecutive-window condition is exercised).
 */
export function monitorSequence(windows: { scenario: string; report: WindowReport }[], testF1: number, limits: AlertLimits = {}): MonitoredWindow[] {
  return windows.map(({ scenario, report }, i) => ({
    scenario,
    report,
    rules: firedRules(report, testF1, limits, windows.slice(0, i).map((w) => w.report)).map((f) => f.rule),
    estimatedF1: report.estimated.f1.value,
    realisedF1: report.realised?.f1 ?? NaN,
  }));
}

/** One acceptance check of issue 15 on a scenario's windows. */
export interface Verdict {
  scenario: string;
  check: string;
  measured: string;
  pass: boolean;
}

/**
 * Issue 15's acceptance for one scenario's windows (those after the shift starts, in order):
 * unshifted: at most 1 window of 20 alerts (any rule) and estimated F1 within 0.02 of realised in
 * every window; covariate: a drift alarm within the first 2 windows and estimated F1 within 0.03
 * of realised in every window; concept (with feedback): realised F1 alerts within 2 windows.
 */
export function judge(kind: ScenarioKind, windows: MonitoredWindow[]): Verdict[] {
  const scenario = windows[0]?.scenario ?? '?';
  // NaN (a window without feedback) fails the check: the gap cannot be measured.
  const worstGap = windows.reduce((m, w) => Math.max(m, Math.abs(w.estimatedF1 - w.realisedF1)), 0);
  const firstWith = (rules: string[]) => windows.findIndex((w) => w.rules.some((r) => rules.includes(r)));
  const v = (check: string, measured: string, pass: boolean): Verdict => ({ scenario, check, measured, pass });
  if (kind === 'unshifted') {
    const alarms = windows.filter((w) => w.rules.length > 0).length;
    return [
      v(`<= ${Math.floor(windows.length / 20)} alarm(s) in ${windows.length} windows`, `${alarms}`, alarms <= Math.floor(windows.length / 20)),
      v('|est - real F1| <= 0.02 per window', worstGap.toFixed(4), worstGap <= 0.02),
    ];
  }
  if (kind === 'covariate') {
    const at = firstWith(DRIFT_RULES);
    return [v('drift alarm within 2 windows', at < 0 ? 'none' : `window ${at + 1}`, at >= 0 && at < 2), v('|est - real F1| <= 0.03 per window', worstGap.toFixed(4), worstGap <= 0.03)];
  }
  const at = firstWith(['realisedF1']);
  return [v('realisedF1 alert within 2 windows', at < 0 ? 'none' : `window ${at + 1}`, at >= 0 && at < 2)];
}
