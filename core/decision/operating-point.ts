import { ECE_BINS } from '../calibration/family-calibration.js';
import { threatOutcomes, threatScores } from '../calibration/threat-score.js';
import { brierScore, expectedCalibrationError, reliabilityCurve, type ReliabilityBin } from '../metrics/calibration-metrics.js';
import { confusionAt, threatCurves, type BinaryConfusion, type ThreatCurves } from '../metrics/threat-curves.js';
import type { OutOfFold } from './oof-codec.js';
import { chooseThreshold, DEFAULT_RULE, type ThresholdRule } from './threshold-rule.js';

/** Where a version's threshold came from and how it does: kept in its manifest. */
export interface OperatingPointSummary {
  threshold: number;
  rule: ThresholdRule;
  /** `out-of-fold` (the CV of the chosen config), or `default` (no out-of-fold scores: 0.5). */
  chosenOn: 'out-of-fold' | 'default';
  oofRows: number;
  /** Whether the rule's bound was met on the out-of-fold rows; `note` says what was done when not. */
  met: boolean;
  note?: string;
  /** At the threshold, on the out-of-fold rows and on the held-out test rows. */
  oof?: BinaryConfusion;
  test: BinaryConfusion;
  /** Of the served (possibly calibrated) threat score. */
  calibration: { method: string; oofBrier?: number; oofEce?: number; testBrier: number; testEce: number; eceBins: number };
  /** The artifact with the curves. */
  curvesKey: string;
}

/** What the curves artifact holds: ROC, PR and reliability curves on the test rows; the reliability curve out-of-fold. */
export interface OperatingPointCurves {
  test: ThreatCurves & { reliability: ReliabilityBin[] };
  oof?: { reliability: ReliabilityBin[] };
}

/**
 * The operating point of a pipeline: the threshold chosen by `rule` on its family's out-of-fold
 * threat scores (as served: calibrated ones when it was calibrated), and the curves, confusion at
 * the threshold and calibration figures on the held-out test rows (`proba` from the pipeline).
 */
export function operatingPoint(
  oof: OutOfFold | undefined,
  rule: ThresholdRule | undefined,
  test: { labels: Int32Array; proba: Float64Array; K: number; threatClasses: number[] },
  calibrationMethod: string,
  curvesKey: string,
): { summary: OperatingPointSummary; curves: OperatingPointCurves } {
  const score = threatScores(test.proba, test.K, test.threatClasses);
  const isThreat = threatOutcomes(test.labels, test.threatClasses);
  const chosen = oof?.score.length ? chooseThreshold(oof.isThreat, oof.calibrated, rule) : undefined;
  const threshold = chosen?.threshold ?? 0.5;
  const summary: OperatingPointSummary = {
    threshold,
    rule: rule ?? DEFAULT_RULE,
    chosenOn: chosen ? 'out-of-fold' : 'default',
    oofRows: oof?.score.length ?? 0,
    met: chosen?.met ?? false,
    note: chosen ? chosen.note : 'no out-of-fold scores: the default threshold 0.5',
    oof: chosen?.at,
    test: confusionAt(isThreat, score, threshold),
    calibration: {
      method: calibrationMethod,
      oofBrier: oof && brierScore(oof.isThreat, oof.calibrated),
      oofEce: oof && expectedCalibrationError(oof.isThreat, oof.calibrated, ECE_BINS),
      testBrier: brierScore(isThreat, score),
      testEce: expectedCalibrationError(isThreat, score, ECE_BINS),
      eceBins: ECE_BINS,
    },
    curvesKey,
  };
  const curves: OperatingPointCurves = {
    test: { ...threatCurves(isThreat, score), reliability: reliabilityCurve(isThreat, score, ECE_BINS) },
    oof: oof && { reliability: reliabilityCurve(oof.isThreat, oof.calibrated, ECE_BINS) },
  };
  return { summary, curves };
}
